import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernRegistry
import TernServing

/// Training jobs:
/// - `POST /api/v1/jobs` (deploy): queue a job → 201 with the job.
/// - `GET /api/v1/jobs`, `GET /api/v1/jobs/{id}` (read).
/// - `GET /api/v1/jobs/{id}/events` (read): server-sent events
///   `progress`, `epoch` and finally `finished`.
/// - `POST /api/v1/jobs/{id}/cancel` (deploy).
func addJobRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    let jobs = router.group("api/v1/jobs")

    jobs.post { request, context -> Response in
        try context.require(.deploy)
        try request.requireJSONContentType()
        let body = try await request.collectBody(limit: services.configuration.managementJSONLimit)
        let submission = try JSONDecoder().decode(JobSubmission.self, from: Data(body.readableBytesView))
        let record = try await services.jobs.submit(
            model: submission.model, spec: try submission.specText(), datasetName: submission.dataset,
            datasetVersion: submission.datasetVersion, trainRows: submission.train,
            validationRows: submission.validation, testFraction: submission.testFraction,
            splitSeed: submission.splitSeed, createdBy: context.identity?.id)
        return jsonResponse(JobView(record), status: .created)
    }

    jobs.get { _, context -> Response in
        try context.require(.read)
        let records = try await services.store.jobs().sorted { $0.createdAt > $1.createdAt }
        return jsonResponse(["jobs": records.map(JobView.init)], status: .ok)
    }

    jobs.get(":id") { _, context -> Response in
        try context.require(.read)
        let record = try await findJob(try jobID(context), services)
        return jsonResponse(JobView(record), status: .ok)
    }

    jobs.get(":id/events") { _, context -> Response in
        try context.require(.read)
        let id = try jobID(context)
        _ = try await findJob(id, services)
        let stream = await services.jobs.events(id: id)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for await event in stream {
                try await writer.write(ByteBuffer(string: JobEventJSON.frame(event)))
                if case .finished = event { break }
            }
            try await writer.finish(nil)
        })
    }

    jobs.post(":id/cancel") { _, context -> Response in
        try context.require(.deploy)
        let id = try jobID(context)
        let record = try await services.jobs.cancel(id: id)
        return jsonResponse(JobView(record), status: .ok)
    }
}

/// The `{id}` path parameter: 400 for anything path-like (`..`, `%2e%2e`,
/// slashes) or too long to be a job id, before the store is asked.
private func jobID(_ context: TernRequestContext) throws -> String {
    let id = try context.parameters.require("id")
    do { try Names.validate(id, kind: "job") } catch {
        throw APIError(.badRequest, "invalid job id: job ids look like 'job-' followed by hexadecimal digits")
    }
    return id
}

/// The job, or 404.
private func findJob(_ id: String, _ services: ServerServices) async throws -> JobRecord {
    do {
        return try await services.store.job(id)
    } catch RegistryError.notFound {
        throw APIError(.notFound, "job '\(id)' not found")
    }
}

private func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JobEventJSON.encode(value))))
}
