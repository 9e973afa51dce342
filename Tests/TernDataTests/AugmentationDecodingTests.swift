import Foundation
import Testing
import TernData

/// Strict decoding of `{"type": ...}` augmentation steps.
@Suite struct AugmentationDecodingTests {
    func decode(_ json: String) throws -> [AugmentationStep] {
        try JSONDecoder().decode([AugmentationStep].self, from: Data(json.utf8))
    }

    func failure(_ json: String) -> String {
        do { _ = try decode(json); return "" } catch { return String(describing: error) }
    }

    @Test func everyStepDecodesAndRoundTrips() throws {
        let steps = try decode(#"""
        [{"type": "random_shift", "max_pixels": 2},
         {"type": "random_rotation", "degrees": 12.5},
         {"type": "random_zoom", "factor": 0.1},
         {"type": "random_flip"},
         {"type": "random_flip", "horizontal": false, "vertical": true},
         {"type": "gaussian_noise", "stddev": 0.05}]
        """#)
        #expect(steps == [
            .randomShift(maxPixels: 2), .randomRotation(degrees: 12.5), .randomZoom(factor: 0.1),
            .randomFlip(horizontal: true, vertical: false), .randomFlip(horizontal: false, vertical: true),
            .gaussianNoise(stddev: 0.05),
        ])
        let again = try JSONDecoder().decode([AugmentationStep].self, from: JSONEncoder().encode(steps))
        #expect(again == steps)
    }

    @Test func unknownTypeIsNamed() {
        let text = failure(#"[{"type": "random_shear", "degrees": 3}]"#)
        #expect(text.contains("'random_shear'") && text.contains("random_shift"), "\(text)")
        #expect(failure(#"[{"degrees": 3}]"#).contains("'type'"))
    }

    @Test func unknownOrMissingOptionIsNamed() {
        let misspelt = failure(#"[{"type": "random_shift", "max_pixel": 2}]"#)
        #expect(misspelt.contains("'max_pixel'") && misspelt.contains("max_pixels"), "\(misspelt)")
        #expect(failure(#"[{"type": "random_shift", "fraction": 0.1}]"#).contains("'fraction'"))
        #expect(failure(#"[{"type": "random_rotation"}]"#).contains("needs 'degrees'"))
        #expect(failure(#"[{"type": "gaussian_noise", "stddev": 0.1, "mean": 0}]"#).contains("'mean'"))
    }

    @Test func outOfRangeValuesAreRejected() {
        #expect(failure(#"[{"type": "random_rotation", "degrees": 200}]"#).contains("degrees"))
        #expect(failure(#"[{"type": "random_shift", "max_pixels": -1}]"#).contains("max_pixels"))
        #expect(failure(#"[{"type": "random_zoom", "factor": 1}]"#).contains("factor"))
        #expect(failure(#"[{"type": "gaussian_noise", "stddev": -0.1}]"#).contains("stddev"))
        #expect(failure(#"[{"type": "random_flip", "horizontal": false}]"#).contains("'horizontal' or 'vertical'"))
        #expect(throws: AugmentationError.invalidStep("random_rotation 'degrees' must be between 0 and 180, got 200.0")) {
            _ = try decode(#"[{"type": "random_rotation", "degrees": 200}]"#)
        }
    }

    @Test func wrongValueTypeFails() {
        #expect(throws: DecodingError.self) { _ = try decode(#"[{"type": "random_shift", "max_pixels": "2"}]"#) }
        #expect(throws: DecodingError.self) { _ = try decode(#"[{"type": "random_flip", "vertical": "yes"}]"#) }
    }
}
