import Foundation

/// A 2-D affine map of pixel coordinates, `x' = a·x + b·y + tx`,
/// `y' = c·x + d·y + ty`, with `x` the column (rightwards) and `y` the row
/// (downwards); pixel centres sit on integers.
///
/// A map describes where content moves: the pixel at `(x, y)` of the input
/// lands at `map(x, y)` in the output. ``warp(_:height:width:channels:)``
/// samples the input at the inverse map of every output pixel with
/// bilinear interpolation, filling from outside the image with zeros
/// (Keras `fill_mode="constant"`, `interpolation="bilinear"`). Shifts,
/// rotations, zooms and flips compose into one map with ``then(_:)`` and are
/// warped in a single pass.
public struct AffineMap: Equatable, Sendable {
    public var a, b, c, d, tx, ty: Double

    public init(a: Double, b: Double, c: Double, d: Double, tx: Double, ty: Double) {
        (self.a, self.b, self.c, self.d, self.tx, self.ty) = (a, b, c, d, tx, ty)
    }

    public static let identity = AffineMap(a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0)

    /// Moves content `dx` pixels right and `dy` pixels down.
    public static func translation(dx: Double, dy: Double) -> AffineMap {
        AffineMap(a: 1, b: 0, c: 0, d: 1, tx: dx, ty: dy)
    }

    /// Turns content counter-clockwise (as displayed) by `degrees` about the
    /// centre of a `height`×`width` image.
    public static func rotation(degrees: Double, height: Int, width: Int) -> AffineMap {
        let radians = degrees * .pi / 180
        let (cos, sin) = (Foundation.cos(radians), Foundation.sin(radians))
        return AffineMap(a: cos, b: sin, c: -sin, d: cos, tx: 0, ty: 0).centred(height: height, width: width)
    }

    /// Scales content by `scale` about the image centre (above 1: zoom in).
    public static func zoom(_ scale: Double, height: Int, width: Int) -> AffineMap {
        AffineMap(a: scale, b: 0, c: 0, d: scale, tx: 0, ty: 0).centred(height: height, width: width)
    }

    /// Mirrors left-right (`horizontal`) and/or top-bottom (`vertical`).
    public static func flip(horizontal: Bool, vertical: Bool, height: Int, width: Int) -> AffineMap {
        AffineMap(a: horizontal ? -1 : 1, b: 0, c: 0, d: vertical ? -1 : 1, tx: 0, ty: 0).centred(height: height, width: width)
    }

    /// This linear map about the image centre instead of the origin.
    private func centred(height: Int, width: Int) -> AffineMap {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        return AffineMap.translation(dx: -cx, dy: -cy).then(self).then(.translation(dx: cx, dy: cy))
    }

    /// The map applying `self` first, then `next`.
    public func then(_ next: AffineMap) -> AffineMap {
        AffineMap(a: next.a * a + next.b * c, b: next.a * b + next.b * d,
                  c: next.c * a + next.d * c, d: next.c * b + next.d * d,
                  tx: next.a * tx + next.b * ty + next.tx, ty: next.c * tx + next.d * ty + next.ty)
    }

    /// The inverse map, or nil when the map collapses the plane.
    public var inverse: AffineMap? {
        let det = a * d - b * c
        guard det.isFinite, abs(det) > 1e-12 else { return nil }
        let (ia, ib, ic, id) = (d / det, -b / det, -c / det, a / det)
        return AffineMap(a: ia, b: ib, c: ic, d: id, tx: -(ia * tx + ib * ty), ty: -(ic * tx + id * ty))
    }

    /// Where `(x, y)` goes.
    public func callAsFunction(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + tx, c * x + d * y + ty)
    }

    /// One image `(height, width, channels)` in row-major, channels-last
    /// order, moved by this map. A map with no inverse gives zeros.
    /// - Precondition: `image.count == height * width * channels`.
    public func warp(_ image: [Float], height: Int, width: Int, channels: Int = 1) -> [Float] {
        var out = [Float](repeating: 0, count: image.count)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                warp(src, into: dst, height: height, width: width, channels: channels)
            }
        }
        return out
    }

    /// Warps `src` into `dst` (same size, not overlapping); see
    /// ``warp(_:height:width:channels:)``.
    func warp(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableBufferPointer<Float>,
              height: Int, width: Int, channels: Int) {
        precondition(src.count == height * width * channels && dst.count == src.count, "image size mismatch")
        guard let inv = inverse else {
            dst.update(repeating: 0)
            return
        }
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = inv(Double(x), Double(y))
                sample(src, at: sx, sy, height: height, width: width, channels: channels, into: dst, at: (y * width + x) * channels)
            }
        }
    }

    /// Bilinear sample of all channels at `(sx, sy)`; neighbours outside the
    /// image count as zero.
    @inline(__always)
    private func sample(_ src: UnsafeBufferPointer<Float>, at sx: Double, _ sy: Double, height: Int, width: Int,
                        channels: Int, into dst: UnsafeMutableBufferPointer<Float>, at base: Int) {
        for ch in 0..<channels { dst[base + ch] = 0 }
        guard sx > -1, sy > -1, sx < Double(width), sy < Double(height) else { return }
        let fx0 = sx.rounded(.down), fy0 = sy.rounded(.down)
        let x0 = Int(fx0), y0 = Int(fy0)
        let wx = Float(sx - fx0), wy = Float(sy - fy0)
        func add(_ cx: Int, _ cy: Int, _ w: Float) {
            guard w != 0, cx >= 0, cx < width, cy >= 0, cy < height else { return }
            let from = (cy * width + cx) * channels
            for ch in 0..<channels { dst[base + ch] += w * src[from + ch] }
        }
        add(x0, y0, (1 - wx) * (1 - wy))
        add(x0 + 1, y0, wx * (1 - wy))
        add(x0, y0 + 1, (1 - wx) * wy)
        add(x0 + 1, y0 + 1, wx * wy)
    }
}
