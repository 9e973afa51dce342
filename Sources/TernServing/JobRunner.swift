import TernRegistry

/// Placeholder: the training-job runner (filled in by the jobs work).
public actor JobRunner {
    public init() {}
}
