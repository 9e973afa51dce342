/// The vector loops of the elementwise kernels: a 16-lane `exp`, helpers
/// that stream a buffer through a `SIMD16<Float>` function, and the loops
/// themselves (``VectorKernels``).
///
/// Every element, including the tail of a buffer whose length is not a
/// multiple of 16, goes through the same vector code, so a value's result does
/// not depend on where it sits in the buffer.
///
/// Why the loops live in this file: debug builds compile each file
/// separately (optimised, but not whole-module), so a generic helper or a
/// `SIMD16` function called from another file is neither inlined nor
/// specialised, and an out-of-line `SIMD16` function works on 128-bit pieces.
/// Keeping each loop, its lane function and the helpers in one file makes
/// every hot loop a straight run of 512-bit instructions (checked in the
/// assembly; 4–10× faster). Other files call one loop per buffer or row.

/// The vector type the kernels are written for (one AVX-512 register).
public typealias FloatVector = SIMD16<Float>

@usableFromInline let vectorWidth = FloatVector.scalarCount

/// `exp(x)` for 16 lanes, with at most about 2 ulp of error.
///
/// Method (the classic Cody-Waite scheme): `x = n·ln2 + r` with
/// `|r| ≤ ln2/2`, `exp(r)` by a degree-7 polynomial (the minimax coefficients
/// published with the Cephes library's `expf`), then the result is scaled by
/// `2^n`, applied as two powers of two so that `n` may reach 128 or go below
/// -126 (overflow gives `+inf`, underflow gives subnormals then 0).
/// NaN lanes stay NaN. Cost: about 20 vector operations.
@inlinable @inline(__always)
public func vectorExp(_ x: FloatVector) -> FloatVector {
    let log2e: Float = 1.442_695_04
    let ln2Hi: Float = 0.693_359_375
    let ln2Lo: Float = -2.121_944_4e-4
    let roundingMagic: Float = 12_582_912  // 1.5·2^23: adding it rounds to an integer
    let low = FloatVector(repeating: -104), high = FloatVector(repeating: 89)
    let xc = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    let shifted = FloatVector(repeating: roundingMagic).addingProduct(xc, FloatVector(repeating: log2e))
    let n = shifted - FloatVector(repeating: roundingMagic)
    var r = xc.addingProduct(n, FloatVector(repeating: -ln2Hi))
    r = r.addingProduct(n, FloatVector(repeating: -ln2Lo))
    var p = FloatVector(repeating: 1.987_569_150_0e-4)
    p = FloatVector(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
    p = FloatVector(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = FloatVector(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = FloatVector(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = FloatVector(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p, r * r)
    let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- Int32(bitPattern: roundingMagic.bitPattern)
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: FloatVector.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: FloatVector.self)
    return (p * s1 * s2).replacing(with: x, where: x .!= x)
}

/// The larger of `a` and `b` in each lane (`a` when they compare unordered).
///
/// Written with a compare and a blend because the standard library's
/// `pointwiseMax` and `clamped` (IEEE `maximum` semantics) compile to a
/// scalar loop over the lanes; this is one `vcmpps` and one masked move.
@inlinable @inline(__always)
func lanewiseMax(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
    a.replacing(with: b, where: a .< b)
}

/// `-|x|` lane by lane.
@inlinable @inline(__always)
func negativeMagnitude(_ x: FloatVector) -> FloatVector {
    (-x).replacing(with: x, where: x .< 0)
}

// MARK: - Streaming helpers

@inlinable @inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}

@inlinable @inline(__always)
func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// Loads `count < 16` floats into the low lanes; the other lanes are `fill`.
@inlinable @inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> FloatVector {
    var v = FloatVector(repeating: fill)
    for i in 0..<count { v[i] = p[i] }
    return v
}

@inlinable @inline(__always)
func storePartial(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

/// A lane-wise function of one vector, applied by ``mapInPlace(_:_:)``.
///
/// Kernels are structs conforming to this protocol rather than closures:
/// a conformer's `@inline(__always)` method is inlined at every call site,
/// whereas a closure called from both the main loop and the tail is
/// outlined.
@usableFromInline protocol UnaryVectorMap {
    func callAsFunction(_ v: FloatVector) -> FloatVector
}

/// A lane-wise function of two vectors, applied by ``mapInPlace(_:_:_:)``.
@usableFromInline protocol BinaryVectorMap {
    func callAsFunction(_ a: FloatVector, _ b: FloatVector) -> FloatVector
}

/// `x[i] = f(x[i])` over a buffer, 16 lanes at a time; the tail (fewer than
/// 16) as one partial vector. Cost: `⌈count/16⌉` evaluations of `f`.
@inlinable @inline(__always)
func mapInPlace<F: UnaryVectorMap>(_ x: UnsafeMutableBufferPointer<Float>, _ f: F) {
    guard let base = x.baseAddress else { return }
    let n = x.count
    var i = 0
    while i + vectorWidth <= n {
        storeVector(f(loadVector(base + i)), base + i)
        i += vectorWidth
    }
    if i < n { storePartial(f(loadPartial(base + i, n - i)), base + i, n - i) }
}

/// `g[i] = f(g[i], a[i])` over two buffers of the same length.
@inlinable @inline(__always)
func mapInPlace<F: BinaryVectorMap>(_ g: UnsafeMutableBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, _ f: F) {
    precondition(a.count >= g.count, "operand shorter than the buffer it updates")
    guard let gBase = g.baseAddress, let aBase = a.baseAddress else { return }
    let n = g.count
    var i = 0
    while i + vectorWidth <= n {
        storeVector(f(loadVector(gBase + i), loadVector(aBase + i)), gBase + i)
        i += vectorWidth
    }
    if i < n {
        let rest = n - i
        storePartial(f(loadPartial(gBase + i, rest), loadPartial(aBase + i, rest)), gBase + i, rest)
    }
}

// MARK: - Row reductions

/// `Σ a[i]` over `n` floats, 16 partial sums then a lane sum.
@inlinable
func vectorSum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = FloatVector.zero
    var i = 0
    while i + vectorWidth <= n { acc += loadVector(a + i); i += vectorWidth }
    if i < n { acc += loadPartial(a + i, n - i) }
    return acc.sum()
}

/// `Σ a[i]·b[i]` over `n` floats.
@inlinable
func vectorDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = FloatVector.zero
    var i = 0
    while i + vectorWidth <= n { acc = acc.addingProduct(loadVector(a + i), loadVector(b + i)); i += vectorWidth }
    if i < n { acc = acc.addingProduct(loadPartial(a + i, n - i), loadPartial(b + i, n - i)) }
    return acc.sum()
}

/// `max a[i]` over `n ≥ 1` floats.
@inlinable
func vectorMax(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = FloatVector(repeating: -.infinity)
    var i = 0
    while i + vectorWidth <= n { acc = lanewiseMax(acc, loadVector(a + i)); i += vectorWidth }
    if i < n { acc = lanewiseMax(acc, loadPartial(a + i, n - i, fill: -.infinity)) }
    return acc.max()
}

/// `Σ exp(a[i] − shift)` over `n` floats, without storing the exponentials.
@inlinable
func vectorSumExp(_ a: UnsafePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = FloatVector.zero
    var i = 0
    while i + vectorWidth <= n { acc += vectorExp(loadVector(a + i) - shift); i += vectorWidth }
    if i < n {
        let rest = n - i
        var tail = FloatVector.zero
        let e = vectorExp(loadPartial(a + i, rest) - shift)
        for lane in 0..<rest { tail[lane] = e[lane] }
        acc += tail
    }
    return acc.sum()
}

// MARK: - The loops

/// Concrete entry points, one per lane function, specialised in this file.
/// `y`/`a` operands must not overlap the buffer being updated.
enum VectorKernels {
    static func relu(_ x: UnsafeMutableBufferPointer<Float>) { mapInPlace(x, ReluMap()) }
    static func reluBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) {
        mapInPlace(g, y, ReluBackwardMap())
    }
    static func leakyRelu(_ x: UnsafeMutableBufferPointer<Float>, _ alpha: Float) { mapInPlace(x, LeakyReluMap(alpha: alpha)) }
    static func leakyReluBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>, _ alpha: Float) {
        mapInPlace(g, y, LeakyReluBackwardMap(alpha: alpha))
    }
    static func sigmoid(_ x: UnsafeMutableBufferPointer<Float>) { mapInPlace(x, SigmoidMap()) }
    static func sigmoidBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) {
        mapInPlace(g, y, SigmoidBackwardMap())
    }
    static func tanh(_ x: UnsafeMutableBufferPointer<Float>) { mapInPlace(x, TanhMap()) }
    static func tanhBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) {
        mapInPlace(g, y, TanhBackwardMap())
    }
    /// `x = exp(x − shift)`.
    static func expShift(_ x: UnsafeMutableBufferPointer<Float>, _ shift: Float) { mapInPlace(x, ExpShiftMap(shift: shift)) }
    /// `x = x · scale`.
    static func scale(_ x: UnsafeMutableBufferPointer<Float>, _ scale: Float) { mapInPlace(x, ScaleMap(scale: scale)) }
    /// `x = x − shift`.
    static func shift(_ x: UnsafeMutableBufferPointer<Float>, _ shift: Float) { mapInPlace(x, ShiftMap(shift: shift)) }
    /// `g = y · (g − dot)`.
    static func softmaxBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>, _ dot: Float) {
        mapInPlace(g, y, SoftmaxBackwardMap(dot: dot))
    }
    /// `g = g − exp(y) · total`.
    static func logSoftmaxBackward(_ y: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>, _ total: Float) {
        mapInPlace(g, y, LogSoftmaxBackwardMap(total: total))
    }
}

// MARK: - Lane functions (structs, so that they are always inlined)

struct ReluMap: UnaryVectorMap {
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector { v.replacing(with: 0, where: v .< 0) }
}

struct ReluBackwardMap: BinaryVectorMap {
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector {
        g.replacing(with: 0, where: y .<= 0)
    }
}

struct LeakyReluMap: UnaryVectorMap {
    let alpha: Float
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector { v.replacing(with: v * alpha, where: v .<= 0) }
}

struct LeakyReluBackwardMap: BinaryVectorMap {
    let alpha: Float
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector {
        g.replacing(with: g * alpha, where: y .<= 0)
    }
}

struct SigmoidMap: UnaryVectorMap {
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector {
        let e = vectorExp(negativeMagnitude(v))
        let d = 1 / (1 + e)
        return d.replacing(with: e * d, where: v .< 0)
    }
}

struct SigmoidBackwardMap: BinaryVectorMap {
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector { g * y * (1 - y) }
}

struct TanhMap: UnaryVectorMap {
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector {
        let s = v * v
        var p = FloatVector(repeating: -5.704_988_727_45e-3)
        p = FloatVector(repeating: 2.063_908_879_54e-2).addingProduct(p, s)
        p = FloatVector(repeating: -5.373_971_555_31e-2).addingProduct(p, s)
        p = FloatVector(repeating: 1.333_144_220_36e-1).addingProduct(p, s)
        p = FloatVector(repeating: -3.333_328_194_22e-1).addingProduct(p, s)
        let small = v.addingProduct(p * s, v)
        let negMag = negativeMagnitude(v)
        let t = vectorExp(negMag + negMag)
        let large = (1 - t) / (1 + t)
        let signed = large.replacing(with: -large, where: v .< 0)
        return signed.replacing(with: small, where: negMag .> -0.625)
    }
}

struct TanhBackwardMap: BinaryVectorMap {
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector { g * (1 - y * y) }
}

struct ExpShiftMap: UnaryVectorMap {
    let shift: Float
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector { vectorExp(v - shift) }
}

struct ScaleMap: UnaryVectorMap {
    let scale: Float
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector { v * scale }
}

struct ShiftMap: UnaryVectorMap {
    let shift: Float
    @inline(__always) func callAsFunction(_ v: FloatVector) -> FloatVector { v - shift }
}

struct SoftmaxBackwardMap: BinaryVectorMap {
    let dot: Float
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector { y * (g - dot) }
}

struct LogSoftmaxBackwardMap: BinaryVectorMap {
    let total: Float
    @inline(__always) func callAsFunction(_ g: FloatVector, _ y: FloatVector) -> FloatVector { g - vectorExp(y) * total }
}

/// `sqrt(x)` for 16 lanes of non-negative `x`, within about 2 ulp; 0 gives 0.
///
/// Why not `SIMD16.squareRoot()`: it is lowered lane by lane through libm's
/// `sqrtf` (with its errno check), 10x slower than this. Method: the
/// bit-pattern estimate of `1/sqrt(x)` refined by three Newton steps
/// `y ← y (1.5 − 0.5 x y²)` (error 3e-2 → 1e-3 → 2e-6 → float rounding),
/// then `sqrt(x) = x · y`. Cost: about 12 vector multiplies.
@inlinable @inline(__always)
public func vectorSquareRoot(_ x: FloatVector) -> FloatVector {
    let bits = unsafeBitCast(x, to: SIMD16<Int32>.self)
    var y = unsafeBitCast(SIMD16<Int32>(repeating: 0x5F37_59DF) &- (bits &>> 1), to: FloatVector.self)
    let halfX = x * 0.5
    y = y * (1.5 - halfX * y * y)
    y = y * (1.5 - halfX * y * y)
    y = y * (1.5 - halfX * y * y)
    return (x * y).replacing(with: 0, where: x .== 0)
}
