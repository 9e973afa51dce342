import TernFormats
import TernTensor

/// MaxPool, AveragePool (2-D, NCHW) and GlobalAveragePool. MaxPool's second
/// output (Indices) is refused.
///
/// With `ceil_mode = 1` the output length along an axis is rounded up, as
/// ONNX defines it, except that a window starting past the input and its
/// leading padding is dropped (ONNX Runtime and PyTorch do the same); the
/// extra windows see only the elements that exist.
extension ONNXOps {
    static let maxPool: Compiler = { context in
        let attributes = try context.attributes(allowed: [
            "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides",
        ])
        var maxWindow = try ONNXWindow(attributes, op: "MaxPool", kernelRequired: true)
        maxWindow.ceilMode = try attributes.flag("ceil_mode")
        let window = maxWindow
        _ = try attributes.flag("storage_order")
        try context.expect(inputs: 1...1)
        if context.node.outputs.count > 1, !context.node.outputs[1].isEmpty {
            throw context.invalid("the Indices output is not supported")
        }
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            return [.float32(try pool(x, window: window) { values, _ in values.max() ?? -.infinity })]
        }
    }

    /// AveragePool: the mean of the window's input elements, or with
    /// `count_include_pad = 1` their sum over the window's size within the
    /// padded input (padding counts, the area past it does not).
    static let averagePool: Compiler = { context in
        let attributes = try context.attributes(allowed: [
            "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides",
        ])
        var averageWindow = try ONNXWindow(attributes, op: "AveragePool", kernelRequired: true)
        averageWindow.ceilMode = try attributes.flag("ceil_mode")
        let window = averageWindow
        if window.dilations != [1, 1] { throw attributes.error("dilations", "\(window.dilations) is not supported (only 1)") }
        let includePad = try attributes.flag("count_include_pad")
        try context.expect(inputs: 1...1)
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            return [.float32(try pool(x, window: window) { values, paddedSize in
                values.reduce(0, +) / Float(includePad ? paddedSize : values.count)
            })]
        }
    }

    /// Applies `reduce` to the in-bounds input values of every window (the
    /// second argument is the number of the window's positions inside the
    /// padded input).
    static func pool(
        _ x: Tensor<Float>, window: ONNXWindow, _ reduce: (_ values: ArraySlice<Float>, _ paddedSize: Int) -> Float
    ) throws -> Tensor<Float> {
        guard x.rank == 4 else { throw ONNXKernelError("X must be 4-D (N, C, H, W), got \(x.shape)") }
        guard let kernel = window.kernel else { throw ONNXKernelError("kernel_shape is required") }
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (kH, kW) = (kernel[0], kernel[1])
        let rows = try window.output(axis: 0, input: height, kernel: kH)
        let columns = try window.output(axis: 1, input: width, kernel: kW)
        let (outH, padTop, outW, padLeft) = (rows.length, rows.padBefore, columns.length, columns.padBefore)
        let (sh, sw, dh, dw) = (window.strides[0], window.strides[1], window.dilations[0], window.dilations[1])
        _ = try ONNXLimits.elementCount([x.shape[0], x.shape[1], outH, outW])
        _ = try ONNXLimits.elementCount([kH, kW])
        // The padded input's extent: windows are counted only within it.
        let (paddedHeight, paddedWidth) = (height + rows.padAfter, width + columns.padAfter)
        var out = Tensor<Float>(uninitialized: [x.shape[0], x.shape[1], outH, outW])
        var values = [Float](repeating: 0, count: kH * kW)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                var o = 0
                for p in 0..<planes {
                    let plane = p * height * width
                    for oy in 0..<outH {
                        let top = oy * sh - padTop
                        let spanH = Swift.max(0, (Swift.min(top + (kH - 1) * dh, paddedHeight - 1) - top) / dh + 1)
                        for ox in 0..<outW {
                            let left = ox * sw - padLeft
                            let spanW = Swift.max(0, (Swift.min(left + (kW - 1) * dw, paddedWidth - 1) - left) / dw + 1)
                            var n = 0
                            for ky in 0..<kH {
                                let iy = top + ky * dh
                                guard iy >= 0, iy < height else { continue }
                                for kx in 0..<kW {
                                    let ix = left + kx * dw
                                    guard ix >= 0, ix < width else { continue }
                                    values[n] = xp[plane + iy * width + ix]
                                    n += 1
                                }
                            }
                            yp[o] = reduce(values[0..<n], spanH * spanW)
                            o += 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// GlobalAveragePool: the mean over every spatial axis, kept as size 1.
    static let globalAveragePool: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...1)
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            guard x.rank >= 3 else { throw ONNXKernelError("X must be (N, C, spatial...), got \(x.shape)") }
            let planes = x.shape[0] * x.shape[1]
            let size = x.count / max(1, planes)
            var out = Tensor<Float>(uninitialized: Shape([x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)))
            x.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { yp in
                    for p in 0..<planes {
                        var sum: Double = 0
                        for i in 0..<size { sum += Double(xp[p * size + i]) }
                        yp[p] = Float(sum / Double(size))
                    }
                }
            }
            return [.float32(out)]
        }
    }
}
