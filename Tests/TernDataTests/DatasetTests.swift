import Testing
import TernData
import TernTensor

@Suite struct DatasetTests {
    func sample(_ n: Int) throws -> LabeledImages {
        let images = try Tensor<UInt8>(shape: [n, 2, 2], scalars: (0..<(n * 4)).map { UInt8($0 % 256) })
        return try LabeledImages(images: images, labels: Tensor<Int32>((0..<n).map { Int32($0 % 10) }))
    }

    @Test func initChecksShapes() throws {
        #expect(throws: DatasetError.countMismatch(images: 3, labels: 2)) {
            try LabeledImages(images: Tensor(zeros: [3, 2, 2]), labels: Tensor(zeros: [2]))
        }
        #expect(throws: DatasetError.invalidShape(role: "labels", shape: [3, 1], expected: "(n)")) {
            try LabeledImages(images: Tensor(zeros: [3, 2, 2]), labels: Tensor(zeros: [3, 1]))
        }
    }

    @Test func slicesRows() throws {
        let data = try sample(5)
        let part = try data.slice(1..<3)
        #expect(part.count == 2)
        #expect(part.labels.scalars == [1, 2])
        #expect(part.images.scalars == Array(4..<12).map { UInt8($0) })
        #expect(try data.slice(5..<5).count == 0)
        #expect(try data.slice(RowRange(parsing: "0:5")) == data)
    }

    @Test func sliceOutOfRangeIsAnError() throws {
        let data = try sample(5)
        #expect(throws: DatasetError.rangeOutOfBounds(lower: 3, upper: 6, count: 5)) { try data.slice(3..<6) }
        #expect(throws: DatasetError.rangeOutOfBounds(lower: -1, upper: 2, count: 5)) { try data.slice(-1..<2) }
        #expect("\(DatasetError.rangeOutOfBounds(lower: 3, upper: 6, count: 5))".contains("3:6"))
    }

    @Test func tilesInOrder() throws {
        let data = try sample(3)
        let tiled = try data.tiled(times: 3)
        #expect(tiled.count == 9)
        #expect(tiled.images.shape == [9, 2, 2])
        #expect(tiled.labels.scalars == [0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(try tiled.slice(6..<9) == data)
        #expect(try data.tiled(times: 1) == data)
        #expect(throws: DatasetError.self) { try data.tiled(times: 0) }
        #expect(throws: DatasetError.self) { try data.tiled(times: Int.max) }
    }

    @Test func parsesRowRanges() throws {
        #expect(try RowRange(parsing: "0:8000").range == 0..<8000)
        #expect(try RowRange(parsing: " 8000:10000 ").range == 8000..<10000)
        #expect(RowRange(5..<7).description == "5:7")
    }

    @Test(arguments: ["", ":", "5", "0:", ":10", "a:b", "1:2:3", "-1:5", "0:-5", "10:5", "4:4", "+1:5", "1.5:3", "0:99999999999999999999999"])
    func rejectsMalformedRowRanges(_ text: String) {
        #expect(throws: DatasetError.self) { try RowRange(parsing: text) }
    }

    @Test func rowRangeMessagesNameTheProblem() {
        func message(_ text: String) -> String {
            do { _ = try RowRange(parsing: text); return "" } catch { return "\(error)" }
        }
        #expect(message("10:5").contains("start 10 is after end 5"))
        #expect(message("-1:5").contains("negative"))
        #expect(message("x:5").contains("not a whole number"))
        #expect(message("0:8000:1").contains("exactly one ':'"))
    }
}
