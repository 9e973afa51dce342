import ArgumentParser
import Foundation

struct DatasetsFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a public dataset and verify every file's SHA-256.",
        discussion: """
            Built-in datasets: \(DatasetCatalog.all.map(\.name).sorted().joined(separator: ", ")). \
            fashion-mnist is the four IDX files from Keras' location; cifar10 is the binary \
            version, extracted after it verified.

            Files go to $TERN_HOME/datasets/<name>/ (default ~/.tern/datasets/<name>/). \
            Files already there with the right SHA-256 are skipped; interrupted downloads \
            resume from their .part file, in the same run or the next one. A file only \
            appears under its final name once its SHA-256 verified.

            A manifest describes other datasets: \
            {"name": "...", "files": [{"name": "a.gz", "url": "https://...", "sha256": "...", "size": 123}]} \
            (size optional; "extract": ["member", ...] unpacks members of a .tar.gz beside it).

            Examples:
              tern datasets fetch fashion-mnist
              tern datasets fetch cifar10 --dir data/cifar10
              tern datasets fetch --manifest internal.json --mirror https://mirror.example.com/datasets
            """)

    @Argument(help: "A built-in dataset: \(DatasetCatalog.all.map(\.name).sorted().joined(separator: " or ")).")
    var name: String?

    @Option(help: ArgumentHelp("Fetch the files listed in a JSON manifest instead of a built-in dataset.", valueName: "file.json"))
    var manifest: String?

    @Option(help: ArgumentHelp("Destination directory (default: $TERN_HOME/datasets/<name>, else ~/.tern/datasets/<name>).", valueName: "dir"))
    var dir: String?

    @Option(help: ArgumentHelp("Fetch each file as <base-url>/<file name> instead of from its own URL (default for built-in datasets: $TERN_DATASETS_MIRROR).", valueName: "base-url"))
    var mirror: String?

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func run() async throws {
        var dataset = try resolveDataset()
        let environment = ProcessInfo.processInfo.environment
        let mirrorBase = mirror ?? (manifest == nil ? environment["TERN_DATASETS_MIRROR"].flatMap { $0.isEmpty ? nil : $0 } : nil)
        if let mirrorBase {
            guard let url = URL(string: mirrorBase), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw CLIError("the mirror must be an http(s) URL, got '\(mirrorBase)'")
            }
            let base = mirrorBase.hasSuffix("/") ? String(mirrorBase.dropLast()) : mirrorBase
            for index in dataset.files.indices {
                let name = dataset.files[index].name
                dataset.files[index].url = base + "/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
            }
        }

        let directory = destination(for: dataset.name, environment: environment)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create \(directory.path): \(oneLine(error))")
        }

        let downloader = DatasetDownloader(progress: !quiet)
        do {
            for file in dataset.files {
                let outcome = try await downloader.fetch(file, into: directory)
                switch outcome {
                case .alreadyPresent: print("\(file.name): already downloaded")
                case .downloaded: print("\(file.name): downloaded and verified")
                }
                if let members = file.extract, !members.isEmpty {
                    try extract(file, members: members, in: directory, downloaded: outcome == .downloaded)
                }
            }
        } catch {
            await downloader.shutdown()
            throw error
        }
        await downloader.shutdown()

        print("\(dataset.name) is in \(directory.path)")
        if dataset.name == DatasetCatalog.fashionMNIST.name {
            print("Train on it: tern train Examples/mnist-mlp.json --data \(directory.path)")
        }
    }

    private func resolveDataset() throws -> DatasetManifest {
        let known = DatasetCatalog.all.map(\.name).sorted().joined(separator: ", ")
        if let manifest {
            guard name == nil else { throw CLIError("give a dataset name or --manifest, not both") }
            let label = URL(fileURLWithPath: manifest).lastPathComponent
            guard let data = FileManager.default.contents(atPath: manifest) else {
                throw CLIError("cannot read the manifest '\(label)'")
            }
            do {
                return try JSONDecoder().decode(DatasetManifest.self, from: data).validated(source: label)
            } catch let error as CLIError {
                throw error
            } catch let DecodingError.keyNotFound(key, _) {
                throw CLIError("\(label): missing \"\(key.stringValue)\"")
            } catch {
                throw CLIError("\(label) is not a valid manifest: \(oneLine(error))")
            }
        }
        guard let name else { throw CLIError("give a dataset name (\(known)) or --manifest FILE.json") }
        guard let dataset = DatasetCatalog.named(name.lowercased()) else {
            throw CLIError("unknown dataset '\(name)'; known datasets: \(known) (or give --manifest FILE.json)")
        }
        return dataset
    }

    private func destination(for name: String, environment: [String: String]) -> URL {
        if let dir { return URL(fileURLWithPath: dir) }
        if let home = environment["TERN_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent("datasets").appendingPathComponent(name)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".tern").appendingPathComponent("datasets").appendingPathComponent(name)
    }

    /// Extracts `members` of a verified archive unless a previous run already did.
    private func extract(_ file: DatasetFile, members: [String], in directory: URL, downloaded: Bool) throws {
        let present = members.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        if present && !downloaded {
            print("\(file.name): already extracted")
            return
        }
        if !quiet { FileHandle.standardError.write(Data("extracting \(file.name)…\n".utf8)) }
        try TarGzExtractor.extract(directory.appendingPathComponent(file.name), members: Set(members), into: directory)
        print("\(file.name): extracted \(members.joined(separator: ", "))")
    }
}
