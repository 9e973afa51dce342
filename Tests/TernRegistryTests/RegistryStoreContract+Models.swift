import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    func checkModelLifecycle(_ store: any RegistryStore) async throws {
        #expect(try await store.models().isEmpty)
        let b = try await store.createModel(name: "b-model", description: "second", tags: ["team": "vision"])
        let a = try await store.createModel(name: "a-model", description: "first", tags: [:])
        #expect(b.name == "b-model" && b.description == "second" && b.tags == ["team": "vision"])
        #expect(b.createdAt == b.updatedAt)
        expectSame(try await store.model("b-model"), b)
        let listed = try await store.models()
        #expect(listed.map(\.name) == ["a-model", "b-model"])
        expectSame(listed, [a, b])

        // nil leaves a field as it is; tags are replaced whole.
        let described = try await store.updateModel("b-model", description: "updated", tags: nil)
        #expect(described.description == "updated" && described.tags == ["team": "vision"])
        #expect(described.updatedAt >= b.updatedAt && described.createdAt == b.createdAt)
        let tagged = try await store.updateModel("b-model", description: nil, tags: ["stage": "beta"])
        #expect(tagged.description == "updated" && tagged.tags == ["stage": "beta"])
        expectSame(try await store.model("b-model"), tagged)

        #expect(try await store.deleteModel("a-model") == [])
        #expect(try await store.models().map(\.name) == ["b-model"])
        await expectError(.notFound("model 'a-model'")) { try await store.model("a-model") }
    }

    func checkModelErrors(_ store: any RegistryStore) async throws {
        _ = try await store.createModel(name: "m", description: "", tags: [:])
        await expectError(.alreadyExists("model 'm'")) {
            _ = try await store.createModel(name: "m", description: "again", tags: [:])
        }
        #expect(try await store.model("m").description == "")
        await expectError(.notFound("model 'x'")) { try await store.model("x") }
        await expectError(.notFound("model 'x'")) { try await store.updateModel("x", description: "d", tags: nil) }
        await expectError(.notFound("model 'x'")) { try await store.deleteModel("x") }
        await expectError(.notFound("model 'x'")) { try await store.versions(model: "x") }
        await expectError(.notFound("model 'x'")) { try await store.aliases(model: "x") }
        await expectError(.notFound("model 'x'")) { try await store.aliasHistory(model: "x") }
    }

    func checkNameValidation(_ store: any RegistryStore) async throws {
        let bad = ["../x", "%2e%2e", "", String(repeating: "a", count: 65), "a/b", ".hidden", "-x", "_x", "a b", "é"]
        for name in bad {
            let error = await registryError { try await store.createModel(name: name, description: "", tags: [:]) }
            #expect(error?.isInvalidName == true, "model name \(name.debugDescription)")
            let versionError = await registryError { try await Self.addVersion(store, model: name) }
            #expect(versionError?.isInvalidName == true, "model name \(name.debugDescription)")
            let datasetError = await registryError {
                try await store.createDataset(name: name, kind: .csv, rows: 1, schema: "{}",
                                              files: ["table": Self.sha("c")], sha256: Self.sha("d"), createdBy: nil)
            }
            #expect(datasetError?.isInvalidName == true, "dataset name \(name.debugDescription)")
        }
        #expect(try await store.models().isEmpty)
        #expect(try await store.datasets().isEmpty)

        let longest = String(repeating: "a", count: 64)
        #expect(try await store.createModel(name: longest, description: "", tags: [:]).name == longest)
        #expect(try await store.createModel(name: "Model_1.v2-b", description: "", tags: [:]).name == "Model_1.v2-b")

        try await Self.addVersion(store, model: "m")
        for alias in ["1", "42", "../x", "%2e%2e", "", String(repeating: "p", count: 65)] {
            let error = await registryError { try await store.setAlias(model: "m", alias: alias, version: 1, by: nil) }
            #expect(error?.isInvalidName == true, "alias \(alias.debugDescription)")
        }
        #expect(try await store.aliases(model: "m").isEmpty)
        #expect(try await store.aliasHistory(model: "m").isEmpty)
        #expect(try await store.setAlias(model: "m", alias: "v1-prod", version: 1, by: nil).alias == "v1-prod")
    }

    func checkDeleteModelCascade(_ store: any RegistryStore) async throws {
        let (a, b, c) = (Self.sha("a"), Self.sha("b"), Self.sha("c"))
        try await Self.addVersion(store, model: "doomed", artifact: a)
        try await Self.addVersion(store, model: "doomed", artifact: b)
        try await Self.addVersion(store, model: "doomed", artifact: c)
        try await Self.addVersion(store, model: "doomed", artifact: a)
        _ = try await store.setAlias(model: "doomed", alias: "production", version: 2, by: "k1")
        _ = try await store.setAlias(model: "doomed", alias: "staging", version: 4, by: "k1")
        try await store.deleteAlias(model: "doomed", alias: "staging", by: "k1")
        // b is still used by another model, c by a dataset.
        try await Self.addVersion(store, model: "survivor", artifact: b)
        _ = try await store.setAlias(model: "survivor", alias: "production", version: 1, by: nil)
        _ = try await store.createDataset(name: "data", kind: .csv, rows: 3, schema: "{}", files: ["table": c],
                                          sha256: Self.sha("d"), createdBy: nil)

        #expect(try await store.deleteModel("doomed") == [a])
        await expectError(.notFound("model 'doomed'")) { try await store.model("doomed") }
        await expectError(.notFound("model 'doomed'")) { try await store.version(model: "doomed", version: 1) }
        await expectError(.notFound("model 'doomed'")) { try await store.alias(model: "doomed", alias: "production") }
        #expect(try await store.models().map(\.name) == ["survivor"])
        #expect(try await store.referencedArtifacts() == [b, c])

        // The other model is untouched.
        #expect(try await store.versions(model: "survivor").map(\.version) == [1])
        #expect(try await store.alias(model: "survivor", alias: "production").version == 1)
        #expect(try await store.aliasHistory(model: "survivor").count == 1)

        // A model created again under the name starts with no versions, aliases or history.
        _ = try await store.createModel(name: "doomed", description: "", tags: [:])
        #expect(try await store.versions(model: "doomed").isEmpty)
        #expect(try await store.aliases(model: "doomed").isEmpty)
        #expect(try await store.aliasHistory(model: "doomed").isEmpty)
    }
}
