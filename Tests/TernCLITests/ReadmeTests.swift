import Foundation
import Testing
import TernTesting

/// Every command of README.md runs (scripts/readme_check.sh: the ```sh
/// blocks in order, against a real `tern serve` on a free port, with the
/// data in Data/), so a README example that drifts from the code fails.
@Suite struct ReadmeTests {
    @Test(.timeLimit(.minutes(10))) func everyReadmeCommandRuns() throws {
        let binary = try #require(TestPaths.ternExecutable, "the tern executable is not built")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestPaths.packageRoot.appendingPathComponent("scripts/readme_check.sh").path]
        var environment = ProcessInfo.processInfo.environment
        environment["TERN_BIN"] = binary.path
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tern-readme-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? FileManager.default.removeItem(at: log) }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "README check failed; its last lines:\n\(output.suffix(4000))")
        #expect(output.contains("readme_check: every README.md command ran"))
    }
}
