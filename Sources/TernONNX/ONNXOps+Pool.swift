import TernFormats
import TernTensor

/// MaxPool, AveragePool (2-D, NCHW) and GlobalAveragePool. `ceil_mode = 1`
/// and MaxPool's second output (Indices) are refused.
extension ONNXOps {
    static let maxPool: Compiler = { context in
        let attributes = try context.attributes(allowed: [
            "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides",
        ])
        let window = try ONNXWindow(attributes, op: "MaxPool", kernelRequired: true)
        if try attributes.flag("ceil_mode") { throw attributes.error("ceil_mode", "value 1 is not supported") }
        _ = try attributes.flag("storage_order")
        try context.expect(inputs: 1...1)
        if context.node.outputs.count > 1, !context.node.outputs[1].isEmpty {
            throw context.invalid("the Indices output is not supported")
        }
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            return [.float(try pool(x, window: window) { values, _ in values.max() ?? -.infinity })]
        }
    }

    static let averagePool: Compiler = { context in
        let attributes = try context.attributes(allowed: [
            "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides",
        ])
        let window = try ONNXWindow(attributes, op: "AveragePool", kernelRequired: true)
        if try attributes.flag("ceil_mode") { throw attributes.error("ceil_mode", "value 1 is not supported") }
        if window.dilations != [1, 1] { throw attributes.error("dilations", "\(window.dilations) is not supported (only 1)") }
        let includePad = try attributes.flag("count_include_pad")
        try context.expect(inputs: 1...1)
        let fullWindow = Float(window.kernel![0] * window.kernel![1])
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            return [.float(try pool(x, window: window) { values, _ in
                values.reduce(0, +) / (includePad ? fullWindow : Float(values.count))
            })]
        }
    }

    /// Applies `reduce` to the in-bounds input values of every window (the
    /// second argument is the window's size including padding).
    static func pool(
        _ x: Tensor<Float>, window: ONNXWindow, _ reduce: (_ values: ArraySlice<Float>, _ size: Int) -> Float
    ) throws -> Tensor<Float> {
        guard x.rank == 4 else { throw ONNXKernelError("X must be 4-D (N, C, H, W), got \(x.shape)") }
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (kH, kW) = (window.kernel![0], window.kernel![1])
        let (outH, padTop) = try window.output(axis: 0, input: height, kernel: kH)
        let (outW, padLeft) = try window.output(axis: 1, input: width, kernel: kW)
        let (sh, sw, dh, dw) = (window.strides[0], window.strides[1], window.dilations[0], window.dilations[1])
        _ = try ONNXLimits.elementCount([x.shape[0], x.shape[1], outH, outW])
        _ = try ONNXLimits.elementCount([kH, kW])
        var out = Tensor<Float>(uninitialized: [x.shape[0], x.shape[1], outH, outW])
        var values = [Float](repeating: 0, count: kH * kW)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                var o = 0
                for p in 0..<planes {
                    let plane = p * height * width
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var n = 0
                            for ky in 0..<kH {
                                let iy = oy * sh - padTop + ky * dh
                                guard iy >= 0, iy < height else { continue }
                                for kx in 0..<kW {
                                    let ix = ox * sw - padLeft + kx * dw
                                    guard ix >= 0, ix < width else { continue }
                                    values[n] = xp[plane + iy * width + ix]
                                    n += 1
                                }
                            }
                            yp[o] = reduce(values[0..<n], kH * kW)
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
            return [.float(out)]
        }
    }
}
