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
        discussion: """
            Examples: tern datasets upload mnist --images Data/mnist/train-images-idx3-ubyte.gz --labels Data/mnist/train-labels-idx1-ubyte.gz \\
                        --test-images Data/mnist/t10k-images-idx3-ubyte.gz --test-labels Data/mnist/t10k-labels-idx1-ubyte.gz
                      tern datasets upload titanic --csv Data/tabular/titanic.csv
            """)
    @Argument var name: String
    @Option(help: "IDX file of the images (gzip or raw).") var images: String?
    @Option(help: "IDX file of the labels.") var labels: String?
    @Option(name: .customLong("test-images"), help: "IDX file of a test part's images (jobs select it as test or test:START:END).") var testImages: String?
    @Option(name: .customLong("test-labels"), help: "IDX file of the test part's labels.") var testLabels: String?
    @Option(help: "A CSV file with a header row.") var csv: String?
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let api = try client.client()
        let reply: [String: Any]
        if let csv {
            reply = try await api.request(.POST, "/api/v1/datasets?name=\(name)&kind=csv", body: try readFile(csv), contentType: "text/csv").json
        } else {
            guard let images, let labels else { throw CLIError("give --images and --labels (IDX), or --csv") }
            var parts = [("images", URL(fileURLWithPath: images).lastPathComponent, try readFile(images)),
                         ("labels", URL(fileURLWithPath: labels).lastPathComponent, try readFile(labels))]
            switch (testImages, testLabels) {
            case (nil, nil): break
            case let (testImages?, testLabels?):
                parts += [("test_images", URL(fileURLWithPath: testImages).lastPathComponent, try readFile(testImages)),
                          ("test_labels", URL(fileURLWithPath: testLabels).lastPathComponent, try readFile(testLabels))]
            default:
                throw CLIError("give both --test-images and --test-labels, or neither")
            }
            let (body, type) = multipart(parts)
            reply = try await api.request(.POST, "/api/v1/datasets?name=\(name)&kind=idx", body: body, contentType: type).json
        }
        let testRows = ((reply["schema"] as? [String: Any])?["test_rows"] as? Int).map { " + \($0) test rows" } ?? ""
        print("uploaded dataset \(name) version \(reply["version"] ?? "?") (\(reply["rows"] ?? "?") rows\(testRows))")
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
