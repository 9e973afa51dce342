import Testing
import TernTensor
import TernTesting
@testable import TernNN

@Suite struct MetricsTests {
    /// Three classes, six samples; predictions by argmax: [0, 1, 1, 2, 2, 0],
    /// truth [0, 1, 2, 2, 2, 1]. Per class (precision, recall): 0 → (1/2, 1),
    /// 1 → (1/2, 1/2), 2 → (1, 2/3); macro averages computed by hand.
    @Test func multiclassPrecisionRecallF1AreMacroAverages() throws {
        let rows: [[Float]] = [[9, 0, 0], [0, 9, 0], [0, 9, 0], [0, 0, 9], [0, 0, 9], [9, 0, 0]]
        let output = try Tensor<Float>(shape: [6, 3], scalars: rows.flatMap { $0 })
        var metrics = Metrics(classification: true, outputWidth: 3)
        metrics.add(output: output, targets: .classes(Tensor([0, 1, 2, 2, 2, 1])), logits: true)
        expectClose(Float(metrics.accuracy), 4 / 6)
        let (p, r, f1) = metrics.precisionRecallF1
        expectClose(Float(p), Float((0.5 + 0.5 + 1) / 3))
        expectClose(Float(r), Float((1 + 0.5 + 2.0 / 3) / 3))
        let f = [2 * 0.5 * 1 / 1.5, 0.5, 2 * (2.0 / 3) / (1 + 2.0 / 3)]
        expectClose(Float(f1), Float(f.reduce(0, +) / 3))
    }

    @Test func binaryMetricsUseThePositiveClass() throws {
        // Probabilities vs truth: TP = 2, FP = 1, FN = 1, TN = 1.
        let output = try Tensor<Float>(shape: [5, 1], scalars: [0.9, 0.8, 0.7, 0.2, 0.1])
        let truth = try Tensor<Float>(shape: [5, 1], scalars: [1, 1, 0, 1, 0])
        var metrics = Metrics(classification: true, outputWidth: 1)
        metrics.add(output: output, targets: .values(truth), logits: false)
        expectClose(Float(metrics.accuracy), 0.6)
        let (p, r, f1) = metrics.precisionRecallF1
        expectClose(Float(p), 2 / 3)
        expectClose(Float(r), 2 / 3)
        expectClose(Float(f1), 2 / 3)
    }

    @Test func regressionMetrics() throws {
        // Errors 1, -1, 2, 0 on targets 1, 2, 3, 4: MAE 1, MSE 1.5, R² = 1 - 6/5.
        let output = try Tensor<Float>(shape: [4, 1], scalars: [2, 1, 5, 4])
        let truth = try Tensor<Float>(shape: [4, 1], scalars: [1, 2, 3, 4])
        var metrics = Metrics(classification: false, outputWidth: 1)
        metrics.add(output: output, targets: .values(truth), logits: false)
        let report = Dictionary(uniqueKeysWithValues: metrics.report(["mae", "mse", "rmse", "r2"]))
        expectClose(Float(report["mae"]!), 1)
        expectClose(Float(report["mse"]!), 1.5)
        expectClose(Float(report["rmse"]!), Float(1.5).squareRoot())
        expectClose(Float(report["r2"]!), 1 - 6.0 / 5.0)
    }

    /// A 65,536-class output keeps three counts per class, not a 2^32-cell
    /// confusion matrix (that allocated 34 GB and aborted training).
    @Test func wideOutputsAreCountedPerClass() throws {
        var metrics = Metrics(classification: true, outputWidth: 65_536)
        var output = Tensor<Float>(zeros: [2, 65_536])
        output.withUnsafeMutableBufferPointer { $0[7] = 1; $0[65_536 + 9] = 1 }
        metrics.add(output: output, targets: .classes(Tensor<Int32>([7, 8])), logits: false)
        #expect(metrics.accuracy == 0.5)
        let (p, r, _) = metrics.precisionRecallF1
        // Class 7 is right (precision 1, recall 1); class 9 was predicted once, wrongly; class 8 missed once.
        #expect(abs(p - 1.0 / 65_536) < 1e-12 && abs(r - 1.0 / 65_536) < 1e-12)
    }
}
