import Foundation

/// Tuning constants of ``DenseChain``.
public enum DenseChainTuning {
    /// Rows a thread carries through every layer of the chain before taking
    /// the next rows: 64 rows of a 128-unit hidden layer are 32 KiB, so a
    /// block's activations stay in the core's cache between layers.
    public static let rowsPerBlock = 64
}

/// A stack of fully connected layers run for inference, `y = act(x · W + b)`
/// layer after layer, a block of rows at a time: each block goes through every
/// layer (product, bias, activation) while its activations are in cache, and
/// only the last layer writes to memory. Threads take blocks of rows; small
/// batches (one image) run on the calling thread with no dispatch at all.
///
/// Inputs are floats, or bytes converted on the fly as `Float(byte) · scale +
/// offset` (a Keras `Rescaling` of uint8 pixels). With `offset == 0` zero
/// bytes are skipped without being converted (MNIST digits are ~80% zeros),
/// so the bytes are read once and no float copy of the input is made.
///
/// Every output equals what ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``
/// with the bias pre-filled and `accumulate: true`, then
/// ``Activation/forward(_:rowLength:)``, give on the same rows, bit for bit
/// (the same fused multiply-add chain in ascending k, the bias added last),
/// for any batch size and thread count; ``DenseChain/reference(_:)`` is that
/// layer-by-layer computation and the tests compare the two.
public struct DenseChain: Sendable {
    /// One layer: `kernel` (inputs × units, row-major as Keras stores it),
    /// an optional `bias` (units) and an activation.
    public struct Layer: Sendable {
        public var kernel: Tensor<Float>
        public var bias: Tensor<Float>?
        public var activation: Activation

        public init(kernel: Tensor<Float>, bias: Tensor<Float>? = nil, activation: Activation = .linear) {
            self.kernel = kernel
            self.bias = bias
            self.activation = activation
        }

        public var inputs: Int { kernel.shape[0] }
        public var units: Int { kernel.shape[1] }
    }

    public let layers: [Layer]
    /// Each layer's kernel as the tile kernels read it: rows padded with zeros
    /// to a multiple of 16 columns (the kernel itself when already so).
    let padded: [Tensor<Float>]
    /// Raw views of `layers` and `padded`, valid while this value lives.
    let steps: ChainSteps

    public var inputWidth: Int { layers[0].inputs }
    public var outputWidth: Int { layers[layers.count - 1].units }

    /// - Throws: ``TensorError/invalidArgument(op:reason:)`` for an empty
    ///   chain, ``TensorError/shapeMismatch(op:expected:actual:)`` when a
    ///   kernel is not a matrix taking the previous layer's units or a bias
    ///   does not have one value per unit.
    public init(layers: [Layer]) throws {
        guard !layers.isEmpty else { throw TensorError.invalidArgument(op: "DenseChain", reason: "no layers") }
        var previous: Int?
        var padded: [Tensor<Float>] = []
        for layer in layers {
            let k = layer.kernel.rank == 2 ? layer.kernel.shape[0] : -1
            guard layer.kernel.rank == 2, k > 0, layer.kernel.shape[1] > 0, previous == nil || previous == k else {
                throw TensorError.shapeMismatch(op: "DenseChain", expected: [previous ?? max(k, 1), max(layer.kernel.count, 1)], actual: layer.kernel.shape)
            }
            let n = layer.units
            if let bias = layer.bias, bias.shape != [n] {
                throw TensorError.shapeMismatch(op: "DenseChain bias", expected: [n], actual: bias.shape)
            }
            let width = (n + 15) / 16 * 16
            if width == n {
                padded.append(layer.kernel)
            } else {
                var copy = Tensor<Float>(uninitialized: [k, width])
                copy.withUnsafeMutableBufferPointer { dst in
                    gemmPackB(transposed: false, n: n, k: k, b: layer.kernel.storage.base, ldb: n, into: dst.baseAddress!, width: width)
                }
                padded.append(copy)
            }
            previous = n
        }
        self.layers = layers
        self.padded = padded
        steps = ChainSteps(zip(layers, padded).map { layer, packed in
            ChainStep(w: UnsafePointer(packed.storage.base), ldw: packed.shape[1], k: layer.inputs, n: layer.units,
                      bias: layer.bias.map { UnsafePointer($0.storage.base) }, activation: layer.activation)
        })
    }

    /// Multiply-adds per row without zero-skipping.
    var multiplyAddsPerRow: Int { layers.reduce(0) { $0 + $1.inputs * $1.units } }

    /// The outputs `(rows, outputWidth)` for float inputs: `input` is
    /// `(rows, ...)` with ``inputWidth`` values per row.
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` otherwise.
    public func predict(_ input: Tensor<Float>) throws -> Tensor<Float> {
        let rows = try rowCount(input.shape)
        return run(rows: rows, source: .floats(UnsafePointer(input.storage.base)), keeping: input)
    }

    /// The outputs for byte inputs, each converted as `Float(byte) · scale +
    /// offset` (the float conversion of ``Tensor/init(_:scale:offset:)``).
    public func predict(_ input: Tensor<UInt8>, scale: Float, offset: Float = 0) throws -> Tensor<Float> {
        let rows = try rowCount(input.shape)
        return run(rows: rows, source: .bytes(UnsafePointer(input.storage.base), scale: scale, offset: offset), keeping: input)
    }

    private func rowCount(_ shape: Shape) throws -> Int {
        let width = inputWidth
        guard shape.rank >= 1, shape.count == shape[0] * width else {
            throw TensorError.shapeMismatch(op: "DenseChain.predict", expected: [shape.rank >= 1 ? shape[0] : 1, width], actual: shape)
        }
        return shape[0]
    }

    /// The reference the fast path is tested against: each layer over the
    /// whole batch with ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``
    /// (bias pre-filled, accumulated), then ``Activation/forward(_:)``.
    public func reference(_ input: Tensor<Float>) throws -> Tensor<Float> {
        let rows = try rowCount(input.shape)
        var x = input
        for layer in layers {
            var y = Tensor<Float>(zeros: [rows, layer.units])
            y.withUnsafeMutableBufferPointer { c in
                if let bias = layer.bias {
                    for r in 0..<rows { (c.baseAddress! + r * layer.units).update(from: bias.storage.base, count: layer.units) }
                }
                gemm(transposeA: false, transposeB: false, m: rows, n: layer.units, k: layer.inputs,
                     a: x.storage.base, lda: layer.inputs, b: layer.kernel.storage.base, ldb: layer.units,
                     c: c.baseAddress!, ldc: layer.units, accumulate: layer.bias != nil)
            }
            x = layer.activation.forward(y)
        }
        return x
    }

    private func run<S>(rows: Int, source: ChainSource, keeping input: Tensor<S>) -> Tensor<Float> {
        let output = Tensor<Float>(uninitialized: [rows, outputWidth])
        guard rows > 0 else { return output }
        let runner = ChainRunner(steps: steps, source: source, output: output.storage.base, maxBlock: DenseChainTuning.rowsPerBlock)
        let blocks = (rows + DenseChainTuning.rowsPerBlock - 1) / DenseChainTuning.rowsPerBlock
        let work = Double(rows) * Double(multiplyAddsPerRow)
        let parts = min(blocks, ComputeThreads.maximum, Int(work / Double(GemmTuning.multiplyAddsPerThread)) + 1)
        withExtendedLifetime(input) {
            withExtendedLifetime(self) {
                if parts <= 1 {
                    runner.run(rows: rows, blocks: 0..<blocks, next: nil)
                } else {
                    let counter = BlockCounter(blocks)
                    DispatchQueue.concurrentPerform(iterations: parts) { _ in runner.run(rows: rows, blocks: 0..<0, next: counter) }
                }
            }
        }
        return output
    }
}

/// One layer as raw pointers into tensors a ``DenseChain`` keeps alive.
struct ChainStep {
    var w: UnsafePointer<Float>
    var ldw: Int
    var k: Int
    var n: Int
    var bias: UnsafePointer<Float>?
    var activation: Activation
}

/// `@unchecked Sendable`: the pointers point into tensors the owning
/// ``DenseChain`` holds, which are never written.
struct ChainSteps: @unchecked Sendable {
    var all: [ChainStep]
    init(_ all: [ChainStep]) { self.all = all }
}

enum ChainSource {
    case floats(UnsafePointer<Float>)
    case bytes(UnsafePointer<UInt8>, scale: Float, offset: Float)
}

/// Hands out block indices to threads, one at a time.
final class BlockCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var nextBlock = 0
    private let count: Int
    init(_ count: Int) { self.count = count }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextBlock < count else { return nil }
        nextBlock += 1
        return nextBlock - 1
    }
}

/// Runs blocks of rows through the chain.
///
/// `@unchecked Sendable`: the inputs and weights are only read; threads write
/// disjoint row blocks of `output`, and each thread has its own scratch.
struct ChainRunner: @unchecked Sendable {
    var steps: ChainSteps
    var source: ChainSource
    var output: UnsafeMutablePointer<Float>
    var maxBlock: Int

    /// Runs `blocks` (then, with `next`, the blocks it hands out) with one
    /// scratch allocation: two activation buffers of the widest hidden layer,
    /// a float copy of a block's input when bytes cannot be read directly,
    /// and the zero-skipping lists.
    func run(rows: Int, blocks: Range<Int>, next: BlockCounter?) {
        let all = steps.all
        let blockRows = min(maxBlock, rows)
        var hidden = 0, widestK = 0
        for (i, s) in all.enumerated() {
            widestK = max(widestK, s.k)
            if i + 1 < all.count { hidden = max(hidden, s.n) }
        }
        var inputFloats = 0
        if case let .bytes(_, scale, offset) = source, !ChainRunner.skipsZeroBytes(scale: scale, offset: offset) {
            inputFloats = blockRows * all[0].k
        }
        let floats = 2 * blockRows * hidden + inputFloats + 4 * widestK
        let raw = UnsafeMutableRawPointer.allocate(byteCount: floats * 4 + widestK * 8, alignment: 64)
        defer { raw.deallocate() }
        let offs = raw.bindMemory(to: Int.self, capacity: widestK)
        let floatBase = (raw + widestK * 8).bindMemory(to: Float.self, capacity: floats)
        let vals = floatBase
        let converted = floatBase + 4 * widestK
        let ping = converted + inputFloats
        let pong = ping + blockRows * hidden
        let scratch = Scratch(offs: offs, vals: vals, converted: converted, ping: ping, pong: pong)
        for b in blocks { runBlock(b, rows: rows, scratch) }
        if let next {
            while let b = next.next() { runBlock(b, rows: rows, scratch) }
        }
    }

    struct Scratch {
        var offs: UnsafeMutablePointer<Int>
        var vals: UnsafeMutablePointer<Float>
        var converted: UnsafeMutablePointer<Float>
        var ping: UnsafeMutablePointer<Float>
        var pong: UnsafeMutablePointer<Float>
    }

    /// Whether byte inputs can be read directly, skipping zeros: a zero byte
    /// must convert to exactly 0.
    static func skipsZeroBytes(scale: Float, offset: Float) -> Bool { offset == 0 && scale.isFinite }

    private func runBlock(_ block: Int, rows total: Int, _ s: Scratch) {
        let first = block * maxBlock
        let rows = min(maxBlock, total - first)
        let all = steps.all
        var a: UnsafePointer<Float>? = nil
        var bytes: (UnsafePointer<UInt8>, Float)? = nil
        switch source {
        case let .floats(x):
            a = x + first * all[0].k
        case let .bytes(x, scale, offset):
            let k = all[0].k
            let rowBytes = x + first * k
            if ChainRunner.skipsZeroBytes(scale: scale, offset: offset) {
                bytes = (rowBytes, scale)
            } else {
                convertBytes(rowBytes, rows * k, scale, offset, s.converted)
                a = UnsafePointer(s.converted)
            }
        }
        for (i, step) in all.enumerated() {
            let last = i + 1 == all.count
            let c = last ? output + first * step.n : (i % 2 == 0 ? s.ping : s.pong)
            if let bias = step.bias {
                for r in 0..<rows { (c + r * step.n).update(from: bias, count: step.n) }
            }
            if let (x, scale) = bytes {
                DenseChainKernels.productBytes(x, scale, rows, step, c, s)
                bytes = nil
            } else {
                DenseChainKernels.product(a!, rows, step, c, s)
            }
            if step.activation != .linear {
                step.activation.forward(UnsafeMutableBufferPointer(start: c, count: rows * step.n), rowLength: step.n)
            }
            a = UnsafePointer(c)
        }
    }

    private func convertBytes(_ x: UnsafePointer<UInt8>, _ count: Int, _ scale: Float, _ offset: Float, _ y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = Float(x[i]) * scale + offset }
    }
}

/// The products of one block: C (rows × n, row stride n) += A · W for a
/// layer's padded W, A either floats (row stride k) or bytes times `scale`.
enum DenseChainKernels {
    typealias V = SIMD16<Float>

    /// Float A: zero-skipping 4-row blocks when few enough of A's columns hold
    /// a non-zero (as ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``
    /// decides), otherwise dense 8-row tiles; rows left over one at a time.
    static func product(_ a: UnsafePointer<Float>, _ rows: Int, _ step: ChainStep, _ c: UnsafeMutablePointer<Float>, _ s: ChainRunner.Scratch) {
        let k = step.k, n = step.n, ldw = step.ldw, w = step.w
        let acc = step.bias != nil
        let nv = (n + 15) / 16
        var i = 0
        let sparse = n >= GemmTuning.sparseMinimumColumns
            && gemmUnionDensity(a, rs: k, cs: 1, m: rows, k: k) <= GemmTuning.sparseDensityThreshold
        if sparse {
            while i + 4 <= rows {
                let count = GemmTiles.compactBlock4(a + i * k, k, 1, k, ldw, s.offs, s.vals)
                union4(count, w, c + i * n, n, nv, acc, s)
                i += 4
            }
        } else {
            while i + 8 <= rows {
                let ai = a + i * k, ci = c + i * n
                var jv = 0
                while jv + 2 <= nv {
                    GemmTiles.tile8x32(ai, k, 1, k, w + jv * 16, ldw, ci + jv * 16, n, n - jv * 16, acc)
                    jv += 2
                }
                if jv < nv { GemmTiles.tile8x16(ai, k, 1, k, w + jv * 16, ldw, ci + jv * 16, n, n - jv * 16, acc) }
                i += 8
            }
        }
        while i < rows {
            let count = GemmTiles.compactRow(a + i * k, 1, k, ldw, s.offs, s.vals)
            row(count, w, c + i * n, n, nv, acc, s)
            i += 1
        }
    }

    /// Byte A (`Float(byte) · scale`, zero bytes skipped): 4-row blocks over
    /// the columns where one of the 4 rows is non-zero, then single rows.
    static func productBytes(_ a: UnsafePointer<UInt8>, _ scale: Float, _ rows: Int, _ step: ChainStep, _ c: UnsafeMutablePointer<Float>, _ s: ChainRunner.Scratch) {
        let k = step.k, n = step.n, ldw = step.ldw, w = step.w
        let acc = step.bias != nil
        let nv = (n + 15) / 16
        var i = 0
        while i + 4 <= rows {
            let count = compactBlock4Bytes(a + i * k, k, k, ldw, scale, s.offs, s.vals)
            union4(count, w, c + i * n, n, nv, acc, s)
            i += 4
        }
        while i < rows {
            let count = compactRowBytes(a + i * k, k, ldw, scale, s.offs, s.vals)
            row(count, w, c + i * n, n, nv, acc, s)
            i += 1
        }
    }

    @inline(__always)
    static func union4(_ count: Int, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ n: Int, _ nv: Int, _ acc: Bool, _ s: ChainRunner.Scratch) {
        var jv = 0
        while jv + 4 <= nv {
            GemmTiles.union4x64(s.offs, s.vals, count, w + jv * 16, c + jv * 16, n, n - jv * 16, acc)
            jv += 4
        }
        while jv < nv {
            GemmTiles.union4x16(s.offs, s.vals, count, w + jv * 16, c + jv * 16, n, n - jv * 16, acc)
            jv += 1
        }
    }

    @inline(__always)
    static func row(_ count: Int, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ n: Int, _ nv: Int, _ acc: Bool, _ s: ChainRunner.Scratch) {
        var jv = 0
        while jv + 8 <= nv {
            GemmTiles.row128(s.offs, s.vals, count, w + jv * 16, c + jv * 16, n - jv * 16, acc)
            jv += 8
        }
        while jv < nv {
            GemmTiles.row16(s.offs, s.vals, count, w + jv * 16, c + jv * 16, n - jv * 16, acc)
            jv += 1
        }
    }

    /// ``GemmTiles/compactBlock4(_:_:_:_:_:_:_:)`` for bytes: lists the
    /// columns p where one of the 4 rows (stride `rs`) has a non-zero byte,
    /// `vals[4q + r] = Float(byte) · scale`, `offs[q] = p · ldb`, in
    /// ascending p. Reads 8 columns of each row as one word; a word that is
    /// zero in all 4 rows costs one test, and the others visit only their
    /// non-zero bytes. Cost: O(k/8 + listed columns).
    @inline(__always)
    static func compactBlock4Bytes(
        _ a: UnsafePointer<UInt8>, _ rs: Int, _ k: Int, _ ldb: Int, _ scale: Float,
        _ offs: UnsafeMutablePointer<Int>, _ vals: UnsafeMutablePointer<Float>
    ) -> Int {
        let a0 = UnsafeRawPointer(a), a1 = a0 + rs, a2 = a0 + 2 &* rs, a3 = a0 + 3 &* rs
        let s4 = SIMD4<Float>(repeating: scale)
        var count = 0
        var p = 0
        while p &+ 8 <= k {
            let w0 = a0.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            let w1 = a1.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            let w2 = a2.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            let w3 = a3.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            var m = nonZeroBytes(w0 | w1 | w2 | w3)
            while m != 0 {
                let bit = UInt64(m.trailingZeroBitCount &- 7)
                let x = SIMD4<Float>(Float(UInt8(truncatingIfNeeded: w0 &>> bit)), Float(UInt8(truncatingIfNeeded: w1 &>> bit)),
                                     Float(UInt8(truncatingIfNeeded: w2 &>> bit)), Float(UInt8(truncatingIfNeeded: w3 &>> bit)))
                UnsafeMutableRawPointer(vals + 4 &* count).storeBytes(of: x * s4, as: SIMD4<Float>.self)
                offs[count] = (p &+ Int(bit &>> 3)) &* ldb
                count &+= 1
                m &= m &- 1
            }
            p &+= 8
        }
        while p < k {
            let b0 = a[p], b1 = a[rs &+ p], b2 = a[2 &* rs &+ p], b3 = a[3 &* rs &+ p]
            if (b0 | b1 | b2 | b3) != 0 {
                let x = SIMD4<Float>(Float(b0), Float(b1), Float(b2), Float(b3))
                UnsafeMutableRawPointer(vals + 4 &* count).storeBytes(of: x * s4, as: SIMD4<Float>.self)
                offs[count] = p &* ldb
                count &+= 1
            }
            p &+= 1
        }
        return count
    }

    /// One row of bytes: its non-zero columns as (p·ldb, Float(byte)·scale),
    /// a word of 8 columns at a time like ``compactBlock4Bytes(_:_:_:_:_:_:_:)``.
    @inline(__always)
    static func compactRowBytes(
        _ a: UnsafePointer<UInt8>, _ k: Int, _ ldb: Int, _ scale: Float,
        _ offs: UnsafeMutablePointer<Int>, _ vals: UnsafeMutablePointer<Float>
    ) -> Int {
        let raw = UnsafeRawPointer(a)
        var count = 0
        var p = 0
        while p &+ 8 <= k {
            let w = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            var m = nonZeroBytes(w)
            while m != 0 {
                let bit = UInt64(m.trailingZeroBitCount &- 7)
                vals[count] = Float(UInt8(truncatingIfNeeded: w &>> bit)) * scale
                offs[count] = (p &+ Int(bit &>> 3)) &* ldb
                count &+= 1
                m &= m &- 1
            }
            p &+= 8
        }
        while p < k {
            let b = a[p]
            if b != 0 {
                vals[count] = Float(b) * scale
                offs[count] = p &* ldb
                count &+= 1
            }
            p &+= 1
        }
        return count
    }

    /// The top bit of each byte of `w` set where that byte is non-zero, the
    /// other bits clear (little-endian: byte j is bits 8j..<8j+8).
    @inline(__always)
    static func nonZeroBytes(_ w: UInt64) -> UInt64 {
        let low: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
        return (((w & low) &+ low) | w) & ~low
    }

}
