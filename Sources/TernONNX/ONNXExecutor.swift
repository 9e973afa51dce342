import TernFormats
import TernTensor

/// Runs an ``ONNXGraph`` on Tern's kernels.
///
/// `init` validates the whole graph before anything runs: the opset is in
/// ``supportedOpsets``, every node's operator is implemented, every attribute
/// is known and has a supported value, every value a node reads is defined,
/// and the nodes form no cycle. It also does the work that does not depend
/// on the inputs: initializers are converted once, nodes whose inputs are all
/// constant are evaluated (folded), and weights are laid out for Tern's
/// kernels (Gemm/MatMul right-hand sides as row-major (K, N) matrices).
///
/// `run` checks the fed inputs against the declared types and shapes, runs
/// the remaining nodes in topological order and frees every intermediate
/// value after its last reader. An executor is immutable and may be shared
/// between threads; each `run` uses its own buffers.
public final class ONNXExecutor: Sendable {
    /// The opset versions of the default domain the operators follow.
    public static let supportedOpsets: ClosedRange<Int> = 13...21

    /// The graph as given.
    public let graph: ONNXGraph

    /// The operators the executor runs, by ONNX name, sorted.
    public static var supportedOperators: [String] { ONNXOps.registry.keys.sorted() }

    /// Most values one run holds at once: fed inputs plus computed values
    /// not yet freed, counted at the step that holds the most (its inputs
    /// are still held while its outputs are made). Constants are not counted.
    public let peakLiveValues: Int

    /// One node to run: its kernel and where its values live. A class, so
    /// the run loop reads its fields in place instead of copying (and
    /// retaining) every field of a struct per step.
    final class Step: Sendable {
        let name: String
        let op: String
        /// Value slots of the inputs, nil for omitted optional inputs.
        let inputs: [Int?]
        /// Value slots of the outputs, nil for omitted optional outputs.
        let outputs: [Int?]
        /// Slots whose last reader is this step, freed before it runs so the
        /// kernel may reuse their storage.
        let release: [Int]
        /// Per input: whether this is the last read of a released slot, so
        /// the value moves into the kernel's arguments instead of being copied.
        let moves: [Bool]
        let kernel: ONNXKernel

        init(name: String, op: String, inputs: [Int?], outputs: [Int?], release: [Int], moves: [Bool], kernel: @escaping ONNXKernel) {
            self.name = name
            self.op = op
            self.inputs = inputs
            self.outputs = outputs
            self.release = release
            self.moves = moves
            self.kernel = kernel
        }
    }

    let steps: [Step]
    /// Initial slot contents: constants filled in, the rest nil.
    let template: [AnyTensor?]
    /// Slots below this hold constants (read from ``template``, never copied per run).
    let constantSlots: Int
    /// Graph inputs the caller feeds, with their slots.
    let feeds: [Feed]
    /// Graph outputs with their slots.
    let results: [(name: String, slot: Int)]

    /// Prepares `graph` for running.
    /// - Throws: ``ONNXRuntimeError`` describing the first problem found.
    public init(graph: ONNXGraph) throws {
        guard Self.supportedOpsets.contains(graph.opsetVersion) else {
            throw ONNXRuntimeError.unsupportedOpset(graph.opsetVersion, supported: Self.supportedOpsets)
        }
        self.graph = graph

        // Operators first, so an unknown operator is reported before any
        // structural problem it might cause.
        var compilers: [ONNXOps.Compiler] = []
        for node in graph.nodes {
            guard node.domain.isEmpty || node.domain == "ai.onnx", let compile = ONNXOps.registry[node.opType] else {
                let op = node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
                throw ONNXRuntimeError.unsupportedOperator(op: op, node: node.name)
            }
            compilers.append(compile)
        }
        let order = try Self.topologicalOrder(graph)

        var constants: [String: AnyTensor] = [:]
        for (name, data) in graph.initializers {
            do { constants[name] = try AnyTensor(data) } catch let e as ONNXKernelError {
                throw ONNXRuntimeError.invalidNode(op: "initializer", node: name, reason: e.reason)
            }
        }
        let fed = graph.inputs.filter { constants[$0.name] == nil }

        // Prepare nodes in order; fold those whose inputs are all constant.
        var prepared: [(node: ONNXNode, kernel: ONNXKernel)] = []
        for index in order {
            let node = graph.nodes[index]
            let context = ONNXNodeContext(node: node, opset: graph.opsetVersion, constants: constants)
            let kernel = try compilers[index](context)
            let inputsConstant = node.inputs.allSatisfy { $0.isEmpty || constants[$0] != nil }
            if inputsConstant {
                var values: [AnyTensor?] = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
                let outputs = try Self.execute(kernel, &values, name: node.name, op: node.opType)
                for (name, value) in zip(node.outputs, outputs) where !name.isEmpty { constants[name] = value }
            } else {
                prepared.append((node, kernel))
            }
        }

        prepared = Self.fusing(prepared, constants: constants, graphOutputs: Set(graph.outputs.map(\.name)))
        prepared = Self.fusingRelu(prepared, graphOutputs: Set(graph.outputs.map(\.name)))

        // Assign slots: constants, fed inputs, then node outputs.
        var slots: [String: Int] = [:]
        var template: [AnyTensor?] = []
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = template.count
            template.append(constants[name])
            return template.count - 1
        }
        for name in constants.keys.sorted() { _ = slot(name) }
        let constantSlots = template.count
        self.feeds = fed.map { Feed(info: $0, slot: slot($0.name)) }
        var stepSlots: [(inputs: [Int?], outputs: [Int?])] = []
        for (node, _) in prepared {
            let inputs = node.inputs.map { $0.isEmpty ? nil : slot($0) }
            let outputs = node.outputs.map { $0.isEmpty ? nil : slot($0) }
            stepSlots.append((inputs, outputs))
        }
        self.results = try graph.outputs.map { output in
            guard let slot = slots[output.name] else { throw ONNXRuntimeError.undefinedOutput(name: output.name) }
            return (output.name, slot)
        }

        // Free each non-constant, non-output slot after its last reader.
        let kept = Set(results.map(\.slot))
        var lastReader: [Int: Int] = [:]
        for (i, s) in stepSlots.enumerated() {
            for case let slot? in s.inputs where slot >= constantSlots && !kept.contains(slot) { lastReader[slot] = i }
        }
        var releases = [[Int]](repeating: [], count: prepared.count)
        for (slot, step) in lastReader { releases[step].append(slot) }
        self.steps = prepared.enumerated().map { i, p in
            Step(name: p.node.name, op: p.node.opType, inputs: stepSlots[i].inputs, outputs: stepSlots[i].outputs,
                 release: releases[i].sorted(),
                 moves: stepSlots[i].inputs.enumerated().map { position, slot in
                     guard let slot, releases[i].contains(slot) else { return false }
                     return !stepSlots[i].inputs[(position + 1)...].contains(slot)
                 },
                 kernel: p.kernel)
        }
        self.template = template
        self.constantSlots = constantSlots
        var live = feeds.count, peak = feeds.count
        for step in steps {
            let made = step.outputs.compactMap { $0 }.count
            peak = max(peak, live + made)
            live += made - step.release.count
        }
        self.peakLiveValues = peak
    }

    /// Runs the graph on `inputs` (one value per declared graph input) and
    /// returns every graph output by name.
    /// - Throws: ``ONNXRuntimeError/missingInput(name:)``,
    ///   ``ONNXRuntimeError/unknownInput(name:)``,
    ///   ``ONNXRuntimeError/inputMismatch(name:reason:)`` for a value of the
    ///   wrong element type, rank or fixed dimension, and
    ///   ``ONNXRuntimeError/executionFailed(op:node:reason:)`` when a node fails.
    public func run(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor] {
        var ordered: [AnyTensor] = []
        ordered.reserveCapacity(feeds.count)
        for feed in feeds {
            guard let value = inputs[feed.name] else { throw ONNXRuntimeError.missingInput(name: feed.name) }
            ordered.append(value)
        }
        if inputs.count != feeds.count {
            let known = Set(feeds.map(\.name))
            if let extra = inputs.keys.sorted().first(where: { !known.contains($0) }) {
                throw ONNXRuntimeError.unknownInput(name: extra)
            }
        }
        let values = try run(ordered: ordered)
        var out = [String: AnyTensor](minimumCapacity: results.count)
        for (index, result) in results.enumerated() { out[result.name] = values[index] }
        return out
    }

    /// Runs the graph on one value per graph input, in the graph's input
    /// order, and returns the graph outputs in the graph's output order
    /// (no dictionaries: the serving path's form).
    /// - Throws: as ``run(_:)``; ``ONNXRuntimeError/missingInput(name:)``
    ///   when fewer values than inputs are given.
    public func run(ordered inputs: [AnyTensor]) throws -> [AnyTensor] {
        // Constants stay in `template`; each run holds only what it computes.
        var values = [AnyTensor?](repeating: nil, count: template.count)
        let constantSlots = self.constantSlots
        for (index, feed) in feeds.enumerated() {
            guard index < inputs.count else { throw ONNXRuntimeError.missingInput(name: feed.name) }
            let value = inputs[index]
            if !feed.accepts(value) { try Self.check(value, against: feed.info) }
            values[feed.slot] = value
        }
        var args: [AnyTensor?] = []
        args.reserveCapacity(8)
        for step in steps {
            args.removeAll(keepingCapacity: true)
            for (position, slot) in step.inputs.enumerated() {
                guard let slot else { args.append(nil); continue }
                if slot < constantSlots {
                    args.append(template[slot])
                } else if step.moves[position] {
                    args.append(values[slot].take())
                } else {
                    args.append(values[slot])
                }
            }
            for slot in step.release { values[slot] = nil }
            var outputs = try Self.execute(step.kernel, &args, name: step.name, op: step.op)
            // Move the results out (last first) rather than copying them.
            while let value = outputs.popLast() {
                if outputs.count < step.outputs.count, let slot = step.outputs[outputs.count] { values[slot] = value }
            }
        }
        var out: [AnyTensor] = []
        out.reserveCapacity(results.count)
        for (name, slot) in results {
            guard let value = slot < constantSlots ? template[slot] : values[slot] else {
                throw ONNXRuntimeError.undefinedOutput(name: name)
            }
            out.append(value)
        }
        return out
    }

    /// Folds a Relu into the Gemm, MatMul or Conv that feeds it when nothing
    /// else reads the product: the activation then runs in place on the
    /// product's fresh buffer, saving a step and an allocation per run.
    static func fusingRelu(
        _ prepared: [(node: ONNXNode, kernel: ONNXKernel)], graphOutputs: Set<String>
    ) -> [(node: ONNXNode, kernel: ONNXKernel)] {
        var readers: [String: Int] = [:]
        for (node, _) in prepared { for name in node.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        var result: [(node: ONNXNode, kernel: ONNXKernel)] = []
        var absorbed = Set<Int>()
        for (i, entry) in prepared.enumerated() where !absorbed.contains(i) {
            let node = entry.node
            guard ["Gemm", "MatMul", "Conv"].contains(node.opType), node.outputs.count == 1,
                  let product = node.outputs.first, readers[product] == 1, !graphOutputs.contains(product),
                  let j = prepared.indices.first(where: { $0 > i && prepared[$0].node.inputs.contains(product) }),
                  prepared[j].node.opType == "Relu", prepared[j].node.inputs == [product]
            else {
                result.append(entry)
                continue
            }
            absorbed.insert(j)
            var fused = node
            fused.outputs = prepared[j].node.outputs
            let inner = entry.kernel
            result.append((fused, { args in
                var results = try inner(&args)
                switch results.popLast() {
                case var .float32(t)?:
                    t.withUnsafeMutableBufferPointer { ActivationKernels.relu($0) }
                    results.append(.float32(t))
                case let .float16(t)?:
                    results.append(.float16(t.map { Swift.max($0, 0) }))
                case let other:
                    throw ONNXKernelError("Relu input must be FLOAT or FLOAT16, got \(other?.dtype.onnxName ?? "nothing")")
                }
                return results
            }))
        }
        return result
    }

    /// Runs one kernel, turning its failures into errors that name the node.
    static func execute(_ kernel: ONNXKernel, _ args: inout [AnyTensor?], name: String, op: String) throws -> [AnyTensor] {
        do {
            return try kernel(&args)
        } catch let e as ONNXKernelError {
            throw ONNXRuntimeError.executionFailed(op: op, node: name, reason: e.reason)
        } catch let e as TensorError {
            throw ONNXRuntimeError.executionFailed(op: op, node: name, reason: e.description)
        }
    }

    /// A graph input the caller feeds, with its declared dimensions
    /// flattened for a quick check (-1 for symbolic).
    final class Feed: Sendable {
        let info: ONNXValueInfo
        let name: String
        let slot: Int
        let dims: [Int]?

        init(info: ONNXValueInfo, slot: Int) {
            self.info = info
            self.name = info.name
            self.slot = slot
            self.dims = info.dimensions
        }

        /// Whether `value` matches the declaration (the detailed check
        /// explains a mismatch).
        @inline(__always)
        func accepts(_ value: AnyTensor) -> Bool {
            guard value.dtype == info.dtype else { return false }
            guard let dims else { return true }
            let shape = value.dims
            guard shape.count == dims.count else { return false }
            for i in 0..<dims.count where dims[i] >= 0 && dims[i] != shape[i] { return false }
            return true
        }
    }

    /// Checks a fed value's element type, rank and fixed dimensions.
    static func check(_ value: AnyTensor, against info: ONNXValueInfo) throws {
        guard value.dtype == info.dtype else {
            throw ONNXRuntimeError.inputMismatch(
                name: info.name, reason: "expected element type \(info.dtype.onnxName), got \(value.dtype.onnxName)")
        }
        guard let declared = info.shape else { return }
        let shape = value.dims
        guard shape.count == declared.count else {
            throw ONNXRuntimeError.inputMismatch(
                name: info.name, reason: "expected rank \(declared.count), got shape \(shape)")
        }
        for (axis, (dim, want)) in zip(shape, declared).enumerated() {
            if case let .fixed(n) = want, n != dim {
                throw ONNXRuntimeError.inputMismatch(
                    name: info.name, reason: "expected dimension \(axis) to be \(n), got shape \(shape)")
            }
        }
    }

    /// The node indices in an order where every node follows the producers
    /// of its inputs (file order among independent nodes).
    /// - Throws: ``ONNXRuntimeError/duplicateDefinition(name:)``,
    ///   ``ONNXRuntimeError/undefinedValue(name:node:)`` or
    ///   ``ONNXRuntimeError/cycle(node:)``.
    static func topologicalOrder(_ graph: ONNXGraph) throws -> [Int] {
        var producer: [String: Int] = [:]
        var defined = Set(graph.initializers.keys)
        for input in graph.inputs { defined.insert(input.name) }
        for (i, node) in graph.nodes.enumerated() {
            for name in node.outputs where !name.isEmpty {
                guard producer[name] == nil, !defined.contains(name) else {
                    throw ONNXRuntimeError.duplicateDefinition(name: name)
                }
                producer[name] = i
            }
        }
        var predecessors = [[Int]](repeating: [], count: graph.nodes.count)
        var successors = [[Int]](repeating: [], count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            for name in node.inputs where !name.isEmpty {
                if let p = producer[name] {
                    predecessors[i].append(p)
                    successors[p].append(i)
                } else if !defined.contains(name) {
                    throw ONNXRuntimeError.undefinedValue(name: name, node: node.name)
                }
            }
        }
        var pending = predecessors.map(\.count)
        // A min-heap would keep file order strictly; graphs are small enough
        // that scanning the ready list is fine.
        var ready = (0..<graph.nodes.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(graph.nodes.count)
        while let pick = ready.indices.min(by: { ready[$0] < ready[$1] }) {
            let i = ready.remove(at: pick)
            order.append(i)
            for s in successors[i] {
                pending[s] -= 1
                if pending[s] == 0 { ready.append(s) }
            }
        }
        if order.count < graph.nodes.count {
            // Walk back through unscheduled predecessors until a node repeats:
            // that node lies on a cycle.
            guard var current = (0..<graph.nodes.count).first(where: { pending[$0] > 0 }) else { return order }
            var seen: Set<Int> = []
            while seen.insert(current).inserted, let previous = predecessors[current].first(where: { pending[$0] > 0 }) {
                current = previous
            }
            throw ONNXRuntimeError.cycle(node: graph.nodes[current].name)
        }
        return order
    }
}
