import ArgumentParser
import Foundation

struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload and list datasets on a server; profile a CSV file locally.",
        subcommands: [DatasetsUpload.self, DatasetsList.self, DatasetsProfile.self, DatasetsFetch.self])
}

struct DatasetsUpload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Upload IDX images + labels, or a CSV file.",
        discussion: "Example: tern datasets upload mnist --images t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz")
    @Argument var name: String
    @Option var images: String?
    @Option var labels: String?
    @Option var csv: String?
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let api = try client.client()
        let reply: [String: Any]
        if let csv {
            reply = try await api.request(.POST, "/api/v1/datasets?name=\(name)&kind=csv", body: try readFile(csv), contentType: "text/csv").json
        } else {
            guard let images, let labels else { throw CLIError("give --images and --labels (IDX), or --csv") }
            let (body, type) = multipart([("images", URL(fileURLWithPath: images).lastPathComponent, try readFile(images)),
                                          ("labels", URL(fileURLWithPath: labels).lastPathComponent, try readFile(labels))])
            reply = try await api.request(.POST, "/api/v1/datasets?name=\(name)&kind=idx", body: body, contentType: type).json
        }
        print("uploaded dataset \(name) version \(reply["version"] ?? "?") (\(reply["rows"] ?? "?") rows)")
    }
}

struct DatasetsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List datasets.")
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let reply = try await client.client().request(.GET, "/api/v1/datasets").json
        for d in reply["datasets"] as? [[String: Any]] ?? [] {
            print("\(d["name"] as? String ?? "?")  version \(d["version"] ?? "?")  \(d["kind"] ?? "?")  \(d["rows"] ?? "?") rows")
        }
    }
}
