import Foundation
import GRDB

/// The registry's metadata in one SQLite file, through a GRDB
/// `DatabasePool` (write-ahead logging: readers never block the writer).
///
/// Every ``RegistryStore`` method runs in one read or write transaction.
/// Dates are stored as seconds since 1970 rounded to the millisecond, and
/// records the store creates carry the stored (rounded) dates, so what a
/// method returns is what a later read returns.
///
/// Errors are ``RegistryError``s; database failures become
/// ``RegistryError/storage(_:)`` without SQL text or file-system paths.
public final class SQLiteRegistryStore: RegistryStore {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    /// - Throws: ``RegistryError/storage(_:)`` if the file cannot be opened or migrated.
    public init(path: URL) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (a CLI next to the server) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            pool = try DatabasePool(path: path.path, configuration: configuration)
        } catch {
            throw RegistryError.storage("cannot open the registry database")
        }
        do {
            try Self.migrator.migrate(pool)
        } catch {
            throw RegistryError.storage("cannot migrate the registry database")
        }
    }

    /// Runs `body` in a read transaction, mapping errors to ``RegistryError``.
    func reading<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` in a write transaction (rolled back if it throws),
    /// mapping errors to ``RegistryError``.
    func writing<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The registry error for `error`; never includes SQL or paths.
    static func mapped(_ error: any Error) -> any Error {
        if let error = error as? RegistryError { return error }
        if error is CancellationError { return error }
        if let error = error as? DatabaseError {
            switch error.extendedResultCode {
            case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
                return RegistryError.alreadyExists("a record with the same key")
            case .SQLITE_CONSTRAINT_FOREIGNKEY:
                return RegistryError.conflict("the record is referenced by, or refers to, another record")
            default:
                break
            }
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return RegistryError.storage("the registry database is busy")
            case .SQLITE_FULL:
                return RegistryError.storage("the disk is full")
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return RegistryError.storage("the registry database is corrupt")
            default:
                return RegistryError.storage("database operation failed (SQLite code \(error.resultCode.rawValue))")
            }
        }
        if error is RowDecodingError {
            return RegistryError.storage("a stored record is malformed")
        }
        return RegistryError.storage("database operation failed")
    }
}

// MARK: - Stored representations

/// Dates as stored: seconds since 1970, rounded to the millisecond.
enum StoredDate {
    static func seconds(_ date: Date) -> Double {
        (date.timeIntervalSince1970 * 1000).rounded() / 1000
    }

    static func seconds(_ date: Date?) -> Double? {
        date.map { seconds($0) }
    }

    /// The current time, as it will read back from the database.
    static func now() -> Date {
        Date(timeIntervalSince1970: seconds(Date()))
    }
}

/// Dictionaries and other structured values, stored as JSON text.
enum StoredJSON {
    static func encode<T: Encodable>(_ value: T, what: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            throw RegistryError.invalidInput("\(what) cannot be stored")
        }
        return text
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let value = try? decoder.decode(type, from: Data(text.utf8)) else {
            throw RegistryError.storage("stored \(what) is malformed")
        }
        return value
    }
}

extension Row {
    /// The non-null date in `column`.
    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try decode(Double.self, forColumn: column))
    }

    /// The date in `column`, nil if NULL.
    func optionalDate(_ column: String) throws -> Date? {
        try decode(Double?.self, forColumn: column).map { Date(timeIntervalSince1970: $0) }
    }

    /// The JSON text in `column`, decoded.
    func json<T: Decodable>(_ type: T.Type, _ column: String) throws -> T {
        try StoredJSON.decode(type, from: try decode(String.self, forColumn: column), what: column)
    }
}

/// Checks that `text` is a SHA-256 checksum (64 lowercase hex digits).
func requireChecksum(_ text: String) throws {
    guard ArtifactStore.isChecksum(text) else {
        throw RegistryError.invalidInput("not a SHA-256 checksum")
    }
}
