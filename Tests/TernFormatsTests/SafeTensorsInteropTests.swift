import Foundation
import Testing
import TernTesting
import TernFormats
import TernTensor

/// Runs `python3 -c script args...`; nil when python3 cannot be run.
private func runPython(_ script: String, _ arguments: [String] = []) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private let pythonAvailable = runPython("import struct, json")?.status == 0

/// Reads a safetensors file with only Python's standard library and prints
/// `{name: [dtype, shape, values]}` plus the metadata, as JSON.
private let pythonReader = #"""
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
assert n % 8 == 0, "header not padded to 8"
header = json.loads(blob[8:8 + n].decode("utf-8"))
data = blob[8 + n:]
out = {"__metadata__": header.pop("__metadata__", {})}
codes = {"F32": "f", "I32": "i", "U8": "B"}
for name, info in header.items():
    begin, end = info["data_offsets"]
    code = codes[info["dtype"]]
    count = (end - begin) // struct.calcsize(code)
    out[name] = [info["dtype"], info["shape"], list(struct.unpack("<%d%s" % (count, code), data[begin:end]))]
print(json.dumps(out, sort_keys=True))
"""#

/// Writes a safetensors file the way the reference library lays it out
/// (metadata first, tensors by descending alignment then name, space padding).
private let pythonWriter = #"""
import json, struct, sys
tensors = [("b", "U8", [3], struct.pack("<3B", 1, 2, 255)),
           ("a", "F32", [2, 2], struct.pack("<4f", 1.5, -2.0, 0.0, 1e-3)),
           ("c", "I32", [1], struct.pack("<i", -7))]
tensors.sort(key=lambda t: (-{"F32": 4, "I32": 4, "U8": 1}[t[1]], t[0]))
header, offset, data = {"__metadata__": {"format": "pt"}}, 0, b""
for name, dtype, shape, raw in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    data += raw
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(text)) + text + data)
"""#

@Suite(.enabled(if: pythonAvailable, "python3 is not available")) struct SafeTensorsInteropTests {
    func temporaryFile(_ name: String) throws -> (dir: URL, file: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent(name))
    }

    @Test func pythonStandardLibraryReadsOurFiles() throws {
        let (dir, url) = try temporaryFile("ours.safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = SafeTensorsFile(
            tensors: [
                ("w", AnyTensor(try Tensor<Float>(shape: [2, 2], scalars: [1, -2.5, 0.125, 3]))),
                ("ids", AnyTensor(Tensor<Int32>([-1, 2_000_000_000]))),
                ("px", AnyTensor(Tensor<UInt8>([0, 255, 7]))),
            ],
            metadata: ["framework": "tern", "ünicode": "ok"])
        try file.write(to: url)
        let result = try #require(runPython(pythonReader, [url.path]))
        #expect(result.status == 0)
        let expected = #"{"__metadata__": {"framework": "tern", "\u00fcnicode": "ok"}, "ids": ["I32", [2], [-1, 2000000000]], "#
            + #""px": ["U8", [3], [0, 255, 7]], "w": ["F32", [2, 2], [1.0, -2.5, 0.125, 3.0]]}"#
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }

    @Test func weReadFilesLaidOutLikeTheReferenceLibrary() throws {
        let (dir, url) = try temporaryFile("theirs.safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try #require(runPython(pythonWriter, [url.path]))
        #expect(result.status == 0)
        let file = try SafeTensorsFile.read(contentsOf: url)
        #expect(file.tensors.map(\.name) == ["a", "c", "b"])
        #expect(file["a"] == .float32(try Tensor(shape: [2, 2], scalars: [1.5, -2.0, 0.0, 1e-3])))
        #expect(file["c"] == .int32(Tensor([-7])))
        #expect(file["b"] == .uint8(Tensor([1, 2, 255])))
        #expect(file.metadata == ["format": "pt"])
    }
}
