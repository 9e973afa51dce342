import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    func checkVersionRoundTrip(_ store: any RegistryStore) async throws {
        let lineage = Lineage(runID: "run-1", datasetName: "mnist", datasetVersion: 2, datasetSHA256: Self.sha("d"),
                              parameters: ["epochs": "5", "optimizer": "adam"])
        let created = try await store.createVersion(
            model: "mnist-mlp", artifactSHA256: Self.sha("e"), sizeBytes: 409_600, spec: #"{"layers":[{"dense":10}]}"#,
            metrics: ["accuracy": 0.9812, "loss": 0.061_234_5, "tiny": 1e-12], lineage: lineage, createdBy: "k1")
        #expect(created.model == "mnist-mlp" && created.version == 1)
        #expect(created.artifactSHA256 == Self.sha("e") && created.sizeBytes == 409_600)
        #expect(created.metrics == ["accuracy": 0.9812, "loss": 0.061_234_5, "tiny": 1e-12])
        #expect(created.lineage == lineage && created.createdBy == "k1")
        expectSame(try await store.version(model: "mnist-mlp", version: 1), created)
        expectSame(try await store.versions(model: "mnist-mlp"), [created])

        // createVersion created the model.
        let model = try await store.model("mnist-mlp")
        #expect(model.description == "" && model.tags.isEmpty)

        let anonymous = try await store.createVersion(
            model: "mnist-mlp", artifactSHA256: Self.sha("f"), sizeBytes: 0, spec: "{}", metrics: [:],
            lineage: Lineage(), createdBy: nil)
        #expect(anonymous.version == 2 && anonymous.createdBy == nil && anonymous.metrics.isEmpty)
        expectSame(try await store.version(model: "mnist-mlp", version: 2), anonymous)
    }

    func checkVersionNumbering(_ store: any RegistryStore) async throws {
        _ = try await store.createModel(name: "m", description: "existing", tags: ["k": "v"])
        for expected in 1...3 {
            #expect(try await Self.addVersion(store, model: "m").version == expected)
        }
        #expect(try await store.model("m").description == "existing")
        // Versions 1 and 2 still use the artifact.
        #expect(try await store.deleteVersion(model: "m", version: 3) == nil)
        _ = try await store.deleteVersion(model: "m", version: 2)
        // Deleted numbers are never handed out again.
        #expect(try await Self.addVersion(store, model: "m").version == 4)
        #expect(try await store.versions(model: "m").map(\.version) == [1, 4])
        // Numbering is per model.
        #expect(try await Self.addVersion(store, model: "other").version == 1)
    }

    func checkVersionErrors(_ store: any RegistryStore) async throws {
        try await Self.addVersion(store, model: "m")
        await expectError(.notFound("model 'x'")) { try await store.version(model: "x", version: 1) }
        await expectError(.notFound("version 3 of model 'm'")) { try await store.version(model: "m", version: 3) }
        await expectError(.notFound("version 3 of model 'm'")) { try await store.deleteVersion(model: "m", version: 3) }
        await expectError(.notFound("model 'x'")) { try await store.deleteVersion(model: "x", version: 1) }
        for bad in ["", "abc", String(repeating: "A", count: 64), String(repeating: "g", count: 64), "../" + Self.sha("a")] {
            let error = await registryError { try await Self.addVersion(store, model: "m", artifact: bad) }
            #expect(error?.isInvalidInput == true, "checksum \(bad.debugDescription)")
        }
        #expect(try await store.versions(model: "m").map(\.version) == [1])
    }

    func checkDeleteVersionChecksum(_ store: any RegistryStore) async throws {
        let (a, b, c) = (Self.sha("a"), Self.sha("b"), Self.sha("c"))
        try await Self.addVersion(store, model: "m", artifact: a)
        try await Self.addVersion(store, model: "m", artifact: a)
        try await Self.addVersion(store, model: "m", artifact: b)
        try await Self.addVersion(store, model: "other", artifact: b)
        try await Self.addVersion(store, model: "m", artifact: c)
        _ = try await store.createDataset(name: "data", kind: .idx, rows: 10, schema: "{}",
                                          files: ["images": c, "labels": Self.sha("9")], sha256: Self.sha("8"),
                                          createdBy: nil)
        // Still referenced: by version 2, by model 'other', by the dataset.
        #expect(try await store.deleteVersion(model: "m", version: 1) == nil)
        #expect(try await store.deleteVersion(model: "m", version: 3) == nil)
        #expect(try await store.deleteVersion(model: "m", version: 4) == nil)
        // The last reference.
        #expect(try await store.deleteVersion(model: "m", version: 2) == a)
        #expect(try await store.versions(model: "m").isEmpty)
        #expect(try await store.deleteVersion(model: "other", version: 1) == b)
    }

    func checkConcurrentVersions(_ store: any RegistryStore) async throws {
        let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await Self.addVersion(store, model: "busy", artifact: Self.sha(Array("0123456789abcdef")[i % 16]),
                                              by: "writer-\(i)").version
                }
            }
            var numbers: [Int] = []
            for try await number in group { numbers.append(number) }
            return numbers
        }
        #expect(numbers.sorted() == Array(1...20))
        let stored = try await store.versions(model: "busy")
        #expect(stored.map(\.version) == Array(1...20))
        #expect(Set(stored.compactMap(\.createdBy)).count == 20)
        #expect(try await store.models().map(\.name) == ["busy"])
    }

    func checkReferencedArtifacts(_ store: any RegistryStore) async throws {
        #expect(try await store.referencedArtifacts().isEmpty)
        let (a, b, c, d) = (Self.sha("a"), Self.sha("b"), Self.sha("c"), Self.sha("d"))
        try await Self.addVersion(store, model: "m", artifact: a)
        try await Self.addVersion(store, model: "n", artifact: a)
        try await Self.addVersion(store, model: "n", artifact: b)
        let dataset = try await store.createDataset(name: "data", kind: .idx, rows: 10, schema: "{}",
                                                    files: ["images": c, "labels": d], sha256: Self.sha("e"),
                                                    createdBy: nil)
        #expect(try await store.referencedArtifacts() == [a, b, c, d])
        try await store.deleteDataset(name: "data", version: dataset.version)
        _ = try await store.deleteVersion(model: "n", version: 2)
        #expect(try await store.referencedArtifacts() == [a])
    }
}
