/// Vector building blocks shared by the elementwise kernels: a 16-lane `exp`
/// and helpers that stream a buffer through a `SIMD16<Float>` function.
///
/// Every element, including the tail of a buffer whose length is not a
/// multiple of 16, goes through the same vector code, so a value's result does
/// not depend on where it sits in the buffer.

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
    let xc = x.clamped(lowerBound: FloatVector(repeating: -104), upperBound: FloatVector(repeating: 89))
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

/// `x[i] = f(x[i])` over a buffer, 16 lanes at a time. Cost: `count/16` calls of `f`.
@inlinable @inline(__always)
func mapInPlace(_ x: UnsafeMutableBufferPointer<Float>, _ f: (FloatVector) -> FloatVector) {
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
func mapInPlace(
    _ g: UnsafeMutableBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>,
    _ f: (FloatVector, FloatVector) -> FloatVector
) {
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
    while i + vectorWidth <= n { acc = pointwiseMax(acc, loadVector(a + i)); i += vectorWidth }
    if i < n { acc = pointwiseMax(acc, loadPartial(a + i, n - i, fill: -.infinity)) }
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
