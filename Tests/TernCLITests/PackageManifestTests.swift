import Foundation
import Testing
import TernTesting

/// Package.swift declares exactly what each target imports
/// (`scripts/check_imports.py`, which names any target that differs).
@Suite struct PackageManifestTests {
    @Test func everyTargetDeclaresExactlyWhatItImports() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("scripts/check_imports.py").path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }
}
