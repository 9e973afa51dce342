import Foundation
import Testing
@testable import TernRegistry

/// The behaviour every ``RegistryStore`` implementation must have. An
/// implementation's test suite supplies fresh storage and runs each
/// ``Check`` (see `SQLiteRegistryStoreTests`).
struct RegistryStoreContract: Sendable {
    /// Opens a store on some storage; calling it again opens the same
    /// storage anew (as after a restart).
    typealias Opener = @Sendable () async throws -> any RegistryStore

    /// Makes fresh, empty storage and returns how to open it.
    let makeStorage: @Sendable () async throws -> Opener

    /// The contract's checks, one test case each.
    enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case modelLifecycle, modelErrors, nameValidation
        case versionRoundTrip, versionNumbering, versionErrors, deleteVersionChecksum, concurrentVersions
        case referencedArtifacts, deleteModelCascade
        case aliasLifecycle, aliasErrors, aliasHistoryOrder, aliasBlocksVersionDelete
        case runs, datasets, datasetErrors, keys, jobs, failUnfinishedJobs
        case deployments
        case persistence

        var testDescription: String { rawValue }
    }

    func run(_ check: Check) async throws {
        let open = try await makeStorage()
        switch check {
        case .persistence:
            try await checkPersistence(open)
            return
        default:
            break
        }
        let store = try await open()
        switch check {
        case .modelLifecycle: try await checkModelLifecycle(store)
        case .modelErrors: try await checkModelErrors(store)
        case .nameValidation: try await checkNameValidation(store)
        case .versionRoundTrip: try await checkVersionRoundTrip(store)
        case .versionNumbering: try await checkVersionNumbering(store)
        case .versionErrors: try await checkVersionErrors(store)
        case .deleteVersionChecksum: try await checkDeleteVersionChecksum(store)
        case .concurrentVersions: try await checkConcurrentVersions(store)
        case .referencedArtifacts: try await checkReferencedArtifacts(store)
        case .deleteModelCascade: try await checkDeleteModelCascade(store)
        case .aliasLifecycle: try await checkAliasLifecycle(store)
        case .aliasErrors: try await checkAliasErrors(store)
        case .aliasHistoryOrder: try await checkAliasHistoryOrder(store)
        case .aliasBlocksVersionDelete: try await checkAliasBlocksVersionDelete(store)
        case .runs: try await checkRuns(store)
        case .datasets: try await checkDatasets(store)
        case .datasetErrors: try await checkDatasetErrors(store)
        case .keys: try await checkKeys(store)
        case .jobs: try await checkJobs(store)
        case .failUnfinishedJobs: try await checkFailUnfinishedJobs(store)
        case .deployments: try await checkDeployments(store, reopen: open)
        case .persistence: break
        }
    }
}

// MARK: - Fixtures and helpers

extension RegistryStoreContract {
    /// A well-formed checksum made of one repeated hex digit.
    static func sha(_ digit: Character) -> String {
        String(repeating: digit, count: 64)
    }

    /// A fixed instant with a millisecond part.
    static func instant(_ offset: Double = 0) -> Date {
        Date(timeIntervalSince1970: 1_700_000_000.123 + offset)
    }

    /// Registers a version with fixed content but `artifact` as its checksum.
    @discardableResult
    static func addVersion(_ store: any RegistryStore, model: String, artifact: String = sha("a"),
                           by: String? = nil) async throws -> VersionRecord {
        try await store.createVersion(
            model: model, artifactSHA256: artifact, sizeBytes: 1234, spec: #"{"layers":[]}"#,
            metrics: ["accuracy": 0.975, "loss": 0.0812], lineage: Lineage(parameters: ["epochs": "3"]), createdBy: by)
    }

    static func job(_ id: String, state: JobState, offset: Double) -> JobRecord {
        JobRecord(id: id, model: "mnist-mlp", state: state, spec: #"{"layers":[]}"#, datasetName: "mnist",
                  datasetVersion: 1, trainRows: "0..<50000", validationRows: "50000..<60000",
                  createdAt: instant(offset), startedAt: state == .queued ? nil : instant(offset + 1),
                  createdBy: "k1")
    }
}

/// Expects `a` and `b` to be the same record, comparing dates to the
/// millisecond (a store may keep only that precision).
func expectSame<T: Encodable>(_ a: T, _ b: T, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(canonicalJSON(a) == canonicalJSON(b), sourceLocation: sourceLocation)
}

/// The record as JSON with sorted keys and dates in whole milliseconds.
func canonicalJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }
    guard let data = try? encoder.encode(value) else { return "<not encodable>" }
    return String(decoding: data, as: UTF8.self)
}

/// Expects `body` to throw exactly `expected`.
func expectError<T>(_ expected: RegistryError, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> T) async {
    do {
        _ = try await body()
        Issue.record("expected \(expected), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RegistryError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw a ``RegistryError`` and returns it.
func registryError<T>(sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> T) async -> RegistryError? {
    do {
        _ = try await body()
        Issue.record("expected an error, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RegistryError {
        return error
    } catch {
        Issue.record("expected a RegistryError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension RegistryError {
    /// Whether this is `.invalidName`, whatever its message.
    var isInvalidName: Bool {
        if case .invalidName = self { return true }
        return false
    }

    var isInvalidInput: Bool {
        if case .invalidInput = self { return true }
        return false
    }
}
