extension GGUFFile {
    /// Parameters: the elements of every tensor.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    /// A metadata value of the architecture's namespace
    /// (`llama.context_length` for `context_length`).
    public func architectureValue(_ key: String) -> GGUFValue? {
        architecture.flatMap { metadata["\($0).\(key)"] }
    }

    /// What `tern inspect` prints for a GGUF file: name, architecture,
    /// parameters, layers, width, heads, context length, tensor types with
    /// their counts and bytes, vocabulary and chat template.
    public var summary: String {
        func int(_ key: String) -> String { architectureValue(key)?.int.map(String.init) ?? "?" }
        var lines = ["GGUF v\(version) model: \(metadata["general.name"]?.string ?? "unnamed")"]
        lines.append("architecture: \(architecture ?? "unknown")")
        lines.append("parameters: \(parameterCount) in \(tensors.count) tensors (\(bytes.count) bytes)")
        lines.append("layers: \(int("block_count")), width \(int("embedding_length")), feed-forward \(int("feed_forward_length")), "
            + "heads \(int("attention.head_count")) (key/value \(int("attention.head_count_kv")))")
        lines.append("context length: \(int("context_length"))")
        if let base = architectureValue("rope.freq_base")?.double { lines.append("RoPE base: \(base)") }
        var byType: [GGMLType: (count: Int, bytes: Int)] = [:]
        for t in tensors { byType[t.type, default: (0, 0)].count += 1; byType[t.type, default: (0, 0)].bytes += t.byteCount }
        lines.append("tensor types: " + byType.sorted { $0.value.bytes > $1.value.bytes }
            .map { "\($0.key) ×\($0.value.count) (\($0.value.bytes) bytes)" }.joined(separator: ", "))
        if let tokens = metadata["tokenizer.ggml.tokens"]?.array {
            lines.append("vocabulary: \(tokens.count) tokens (\(metadata["tokenizer.ggml.model"]?.string ?? "?") tokenizer"
                + (metadata["tokenizer.ggml.pre"]?.string.map { ", pre-tokenizer \($0)" } ?? "") + ")")
        }
        if let template = metadata["tokenizer.chat_template"]?.string {
            lines.append("chat template: \(template.count) characters")
            lines.append(template)
        } else {
            lines.append("chat template: none")
        }
        return lines.joined(separator: "\n")
    }
}
