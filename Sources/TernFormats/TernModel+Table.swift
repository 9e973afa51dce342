import Foundation

import TernTensor
import TernNN
import TernData

/// Table models: raw rows go through the fitted tabular pipeline stored in
/// the artifact (fitted by training, see TernTraining), so serving applies
/// exactly what training did.
extension TernModel {
    /// Outputs for raw table rows (the target column, if present, is ignored).
    /// - Throws: ``FormatError`` naming the column when a row cannot be
    ///   transformed (a missing value that was not imputed, an unseen
    ///   category with `unknown: error`).
    public func predict(table: Table) throws -> Tensor<Float> {
        guard let tabular else { throw FormatError.invalidSpec("this model takes tensors, not table rows") }
        do {
            return try network.predict(tabular.transform(table, training: false).features)
        } catch let error as TensorError {
            throw FormatError.invalidSpec(error.description)
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.invalidSpec("\(error)")
        }
    }
}
