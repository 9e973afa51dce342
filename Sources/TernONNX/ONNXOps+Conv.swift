import TernFormats
import TernTensor

/// The window attributes shared by Conv, MaxPool and AveragePool (2-D, NCHW):
/// kernel size, strides, dilations and padding, validated at preparation.
struct ONNXWindow: Sendable {
    enum AutoPad: String, Sendable { case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID" }

    /// nil when the kernel size comes from the weights (Conv without `kernel_shape`).
    var kernel: [Int]?
    var strides: [Int]
    var dilations: [Int]
    /// Explicit pads (top, left, bottom, right) for NOTSET.
    var pads: [Int]
    var autoPad: AutoPad
    /// Pooling's `ceil_mode`: output lengths rounded up (Conv has none).
    var ceilMode = false

    /// Reads and checks the attributes; only 2-D windows are supported.
    init(_ attributes: ONNXAttributes, op: String, kernelRequired: Bool) throws {
        let mode = try attributes.choice("auto_pad", default: "NOTSET", ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
        guard let autoPad = AutoPad(rawValue: mode) else { throw attributes.error("auto_pad", "value '\(mode)' is not supported") }
        self.autoPad = autoPad
        kernel = try attributes.ints("kernel_shape")
        if let kernel {
            guard kernel.count == 2 else {
                throw attributes.error("kernel_shape", "\(kernel) is not supported: only 2-D \(op) (NCHW) is implemented")
            }
            guard kernel.allSatisfy({ $0 >= 1 }) else { throw attributes.error("kernel_shape", "\(kernel) must be positive") }
        } else if kernelRequired {
            throw attributes.error("kernel_shape", "is required")
        }
        strides = try attributes.ints("strides") ?? [1, 1]
        guard strides.count == 2, strides.allSatisfy({ $0 >= 1 }) else {
            throw attributes.error("strides", "\(strides) must be two positive values (2-D \(op) only)")
        }
        dilations = try attributes.ints("dilations") ?? [1, 1]
        guard dilations.count == 2, dilations.allSatisfy({ $0 >= 1 }) else {
            throw attributes.error("dilations", "\(dilations) must be two positive values (2-D \(op) only)")
        }
        pads = try attributes.ints("pads") ?? [0, 0, 0, 0]
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
            throw attributes.error("pads", "\(pads) must be four non-negative values (2-D \(op) only)")
        }
        if autoPad != .notSet, attributes.has("pads"), pads != [0, 0, 0, 0] {
            throw attributes.error("pads", "cannot be combined with auto_pad \(mode)")
        }
    }

    /// Output length and padding before and after, along one spatial axis.
    func output(axis: Int, input: Int, kernel k: Int) throws -> (length: Int, padBefore: Int, padAfter: Int) {
        // Attributes come from the model: keep every sum and product in range.
        let (reach, reachOverflow) = (k - 1).multipliedReportingOverflow(by: dilations[axis])
        guard !reachOverflow, reach < 1 << 32 else { throw ONNXKernelError("kernel \(k) with dilation \(dilations[axis]) is too large") }
        let extent = reach + 1
        let s = strides[axis]
        switch autoPad {
        case .notSet, .valid:
            let (before, after) = autoPad == .valid ? (0, 0) : (pads[axis], pads[axis + 2])
            guard before < 1 << 32, after < 1 << 32 else { throw ONNXKernelError("pads \(before), \(after) are too large") }
            let span = input + before + after - extent
            guard span >= 0 else {
                throw ONNXKernelError("window of \(extent) does not fit spatial axis \(axis) of size \(input) (padded by \(before + after))")
            }
            guard ceilMode else { return (span / s + 1, before, after) }
            var length = (span + s - 1) / s + 1
            // A last window that would start past the input and its leading padding is dropped.
            if (length - 1) * s >= input + before { length -= 1 }
            return (length, before, after)
        case .sameUpper, .sameLower:
            let length = (input + s - 1) / s
            let total = max(0, (length - 1) * s + extent - input)
            let before = autoPad == .sameUpper ? total / 2 : total - total / 2
            return (length, before, total - before)
        }
    }
}

/// Conv (2-D, NCHW, grouped, dilated, padded) as im2col plus Tern's `gemm`.
extension ONNXOps {
    static let conv: Compiler = { context in
        let attributes = try context.attributes(allowed: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        let window = try ONNXWindow(attributes, op: "Conv", kernelRequired: false)
        let group = try attributes.int("group", default: 1)
        guard group >= 1 else { throw attributes.error("group", "must be positive, got \(group)") }
        try context.expect(inputs: 2...3)
        if let w = context.constant(1) {
            guard w.dtype == .float32, w.rank == 4 else {
                throw context.invalid("W must be a 4-D FLOAT tensor (only 2-D convolution is implemented), got \(w.dtype.onnxName) \(w.dims)")
            }
            guard w.dims[0] % group == 0 else {
                throw context.invalid("W has \(w.dims[0]) output channels, not a multiple of group \(group)")
            }
            if let k = window.kernel, k != Array(w.dims[2...]) {
                throw attributes.error("kernel_shape", "\(k) disagrees with W's shape \(w.dims)")
            }
        }
        if let b = context.constant(2), b.dtype != .float32 || b.rank != 1 {
            throw context.invalid("B must be a 1-D FLOAT tensor, got \(b.dtype.onnxName) \(b.dims)")
        }
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            let w = try input(inputs, 1, "W").requireFloat("W")
            let bias = try inputs.count > 2 ? inputs[2]?.requireFloat("B") : nil
            return [.float32(try convolve(x, w, bias, window: window, group: group))]
        }
    }

    /// Y (N, M, outH, outW) = Σ X ⋆ W + B, group by group: for each image and
    /// group, the im2col matrix (Cg·kH·kW × outH·outW) is multiplied on the
    /// left by the group's weights, which are already a row-major
    /// (Mg × Cg·kH·kW) matrix in ONNX's layout.
    static func convolve(_ x: Tensor<Float>, _ w: Tensor<Float>, _ bias: Tensor<Float>?, window: ONNXWindow, group: Int) throws -> Tensor<Float> {
        guard x.rank == 4 else { throw ONNXKernelError("X must be 4-D (N, C, H, W), got \(x.shape)") }
        guard w.rank == 4 else { throw ONNXKernelError("W must be 4-D (M, C/group, kH, kW), got \(w.shape)") }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outChannels, groupChannels, kH, kW) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard groupChannels * group == channels, outChannels % group == 0 else {
            throw ONNXKernelError("X has \(channels) channels but W \(w.shape) with group \(group) expects \(groupChannels * group)")
        }
        if let k = window.kernel, k != [kH, kW] { throw ONNXKernelError("kernel_shape \(k) disagrees with W \(w.shape)") }
        if let bias, bias.shape != [outChannels] {
            throw ONNXKernelError("B must have shape (\(outChannels)), got \(bias.shape)")
        }
        let (outH, padTop, _) = try window.output(axis: 0, input: height, kernel: kH)
        let (outW, padLeft, _) = try window.output(axis: 1, input: width, kernel: kW)
        let (sh, sw) = (window.strides[0], window.strides[1])
        let (dh, dw) = (window.dilations[0], window.dilations[1])
        let groupOut = outChannels / group
        let taps = groupChannels * kH * kW
        _ = try ONNXLimits.elementCount([batch, outChannels, outH, outW])
        _ = try ONNXLimits.elementCount([taps, outH, outW])
        let pixels = outH * outW
        var out = Tensor<Float>(uninitialized: [batch, outChannels, outH, outW])
        guard out.count > 0 else { return out }
        var cols = [Float](repeating: 0, count: max(1, taps * pixels))
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { yp in
                    // Tensor storage always has an address (it allocates at least one element).
                    guard let xb = xp.baseAddress, let wb = wp.baseAddress, let yb = yp.baseAddress else { return }
                    // Bias (or zero) first; the products accumulate onto it.
                    for b in 0..<batch {
                        for m in 0..<outChannels {
                            (yb + (b * outChannels + m) * pixels).update(repeating: bias?[flat: m] ?? 0, count: pixels)
                        }
                    }
                    cols.withUnsafeMutableBufferPointer { cp in
                        guard let cb = cp.baseAddress else { return }
                        for b in 0..<batch {
                            for g in 0..<group {
                                let image = xb + (b * channels + g * groupChannels) * height * width
                                var row = 0
                                for c in 0..<groupChannels {
                                    let plane = image + c * height * width
                                    for ky in 0..<kH {
                                        for kx in 0..<kW {
                                            let dst = cb + row * pixels
                                            for oy in 0..<outH {
                                                let iy = oy * sh - padTop + ky * dh
                                                let line = dst + oy * outW
                                                guard iy >= 0, iy < height else {
                                                    line.update(repeating: 0, count: outW)
                                                    continue
                                                }
                                                let source = plane + iy * width
                                                for ox in 0..<outW {
                                                    let ix = ox * sw - padLeft + kx * dw
                                                    line[ox] = ix >= 0 && ix < width ? source[ix] : 0
                                                }
                                            }
                                            row += 1
                                        }
                                    }
                                }
                                TernTensor.gemm(
                                    transposeA: false, transposeB: false, m: groupOut, n: pixels, k: taps,
                                    a: wb + g * groupOut * taps, lda: max(1, taps), b: cb, ldb: max(1, pixels),
                                    c: yb + (b * outChannels + g * groupOut) * pixels, ldc: max(1, pixels),
                                    accumulate: true)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
