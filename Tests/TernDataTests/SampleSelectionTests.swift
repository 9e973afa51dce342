import Foundation
import Testing
import TernData
import TernTesting

@Suite struct SampleSelectionTests {
    @Test func parsesPartsAndRanges() throws {
        #expect(try SampleSelection(parsing: "train") == SampleSelection(part: .train, rows: nil))
        #expect(try SampleSelection(parsing: " test ") == SampleSelection(part: .test, rows: nil))
        #expect(try SampleSelection(parsing: "test:8000:10000") == SampleSelection(part: .test, rows: RowRange(8000..<10000)))
        #expect(try SampleSelection(parsing: "0:8000") == SampleSelection(part: nil, rows: RowRange(0..<8000)))
        #expect(try SampleSelection(parsing: "train:0:100").description == "train:0:100")
        #expect(try SampleSelection(parsing: "0:100").description == "0:100")
        #expect(try SampleSelection(parsing: "0:100").part(default: .test) == .test)
        for bad in ["validation", "test:", "test:5", "train:9:3", "", "tst:0:5", "1:2:3"] {
            #expect(throws: DatasetError.self, "\(bad)") { try SampleSelection(parsing: bad) }
        }
        #expect(throws: DatasetError.rangeOutOfBounds(lower: 0, upper: 11, count: 10)) {
            try SampleSelection(parsing: "0:11").range(count: 10)
        }
    }

    /// MNIST's two parts from Data/mnist: 60,000 training and 10,000 test images.
    @Test func loadsMNISTsTwoParts() throws {
        let directory = TestPaths.mnistDirectory
        let train = try MNIST.load(directory: directory, SampleSelection(parsing: "train:0:3"), defaultPart: .test)
        let test = try MNIST.load(directory: directory, SampleSelection(parsing: "0:3"), defaultPart: .test)
        #expect(train.labels.scalars == [5, 0, 4])  // the first training labels of MNIST
        #expect(test.labels.scalars == [7, 2, 1])   // the first test labels
        #expect(try MNIST.load(directory: directory, split: "train").count == 60_000)
    }
}
