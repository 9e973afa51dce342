import TernFormats

/// Placeholder: the loaded-model runtime (filled in by the serving work).
public actor ModelRuntime {
    public init() {}
}
