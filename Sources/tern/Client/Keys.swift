import ArgumentParser
import Foundation
import TernRegistry

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys.",
        subcommands: [KeysCreate.self, KeysList.self, KeysRevoke.self])
}

struct KeysCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a key; its text is printed once.",
        discussion: """
        Against a server with an admin key: tern keys create --scope predict --server URL --api-key KEY
        Directly in the local store (no server needed): tern keys create --scope admin --local [--data-dir .tern]
        """)

    @Option(help: "admin, deploy, predict or read.") var scope: String = "admin"
    @Option(help: "A name to recognise the key by.") var name = "key"
    @Flag(help: "Write to the local store instead of calling a server.") var local = false
    @Option(name: .customLong("data-dir"), help: "The server's data directory (with --local; default $TERN_HOME or ./.tern).") var dataDir: String?
    @Flag(name: .customLong("print-only"), help: "Print the key text only.") var printOnly = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        guard let scope = KeyScope(rawValue: scope) else { throw CLIError("--scope must be admin, deploy, predict or read") }
        if local {
            let dir = URL(fileURLWithPath: dataDir ?? ProcessInfo.processInfo.environment["TERN_HOME"] ?? ".tern")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let store = try SQLiteRegistryStore(path: dir.appendingPathComponent("registry.sqlite"))
            let (text, record) = APIKeys.generate(name: name, scope: scope)
            try await store.createKey(record)
            print(printOnly ? text : "key \(record.id) (\(scope.rawValue)): \(text)\nstore it now: it is not shown again")
            return
        }
        let reply = try await client.client().request(.POST, "/api/v1/keys", json: ["name": name, "scope": scope.rawValue]).json
        let text = reply["key"] as? String ?? ""
        print(printOnly ? text : "key \(reply["id"] as? String ?? "?") (\(scope.rawValue)): \(text)\nstore it now: it is not shown again")
    }
}

struct KeysList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys (without secrets).")
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let reply = try await client.client().request(.GET, "/api/v1/keys").json
        for key in reply["keys"] as? [[String: Any]] ?? [] {
            let revoked = key["revoked_at"] is String ? " (revoked)" : ""
            print("\(key["id"] as? String ?? "?")  \(key["scope"] as? String ?? "?")  \(key["name"] as? String ?? "")\(revoked)")
        }
    }
}

struct KeysRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key by id.")
    @Argument var id: String
    @OptionGroup var client: ClientOptions
    func run() async throws {
        _ = try await client.client().request(.DELETE, "/api/v1/keys/\(id)")
        print("revoked \(id)")
    }
}
