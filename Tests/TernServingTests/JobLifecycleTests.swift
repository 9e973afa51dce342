import Foundation
import Testing
import TernNN
import TernRegistry
@testable import TernServing

/// The job state machine, without processes.
struct JobLifecycleTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func queued() -> JobLifecycle {
        JobLifecycle(record: JobRecord(
            id: "job-1", model: "m", state: .queued, spec: "{}", datasetName: "d", datasetVersion: 1,
            trainRows: "0:10", validationRows: nil, createdAt: now, createdBy: nil), memoryLimitMB: 64)
    }

    func running() -> JobLifecycle {
        var job = queued()
        _ = job.start(at: now)
        return job
    }

    @Test func successPath() {
        var job = queued()
        let start = job.start(at: now)
        #expect(job.record.state == .running)
        #expect(start == [.persist(job.record), .launchWorker])
        #expect(job.start(at: now).isEmpty)

        let progress = JobProgress(epoch: 1, step: 3, steps: 10, metrics: ["loss": 0.5])
        #expect(job.receive(.batch(progress)) == [.publish(.progress(progress))])
        let epoch = EpochRecord(epoch: 1, metrics: ["loss": 0.4], seconds: 0.1)
        let actions = job.receive(.epoch(epoch))
        #expect(actions == [.persist(job.record), .publish(.epoch(epoch))])
        #expect(job.record.history.contains("\"epoch\":1"))
        #expect(job.receive(.done(metrics: ["loss": 0.3])).isEmpty)
        #expect(job.workerExited(.exited(0), at: now) == [.register(finalMetrics: ["loss": 0.3])])
        // Neither cancel nor the time limit interrupts a registration.
        #expect(job.cancel(at: now).isEmpty)
        #expect(job.timeLimitReached(.seconds(1)).isEmpty)

        let done = job.registered(version: 4, at: now)
        #expect(job.record.state == .succeeded)
        #expect(job.record.resultVersion == 4)
        #expect(done == [.persist(job.record), .cleanUp, .publish(.finished(job.record))])
    }

    @Test func cancelQueuedEndsAtOnce() {
        var job = queued()
        let actions = job.cancel(at: now)
        #expect(job.record.state == .cancelled)
        #expect(job.record.finishedAt == now)
        #expect(actions == [.persist(job.record), .cleanUp, .publish(.finished(job.record))])
        #expect(job.start(at: now).isEmpty)
    }

    @Test func cancelRunningTerminatesThenEndsOnExit() {
        var job = running()
        #expect(job.cancel(at: now) == [.terminateWorker])
        #expect(job.isStopping)
        #expect(job.cancel(at: now).isEmpty)
        #expect(job.receive(.cancelled).isEmpty)
        _ = job.workerExited(.exited(143), at: now)
        #expect(job.record.state == .cancelled)
        #expect(job.record.error == nil)
    }

    @Test func timeLimitFailsEvenIfTheWorkerFinishedCleanly() {
        var job = running()
        #expect(job.timeLimitReached(.seconds(3)) == [.terminateWorker])
        _ = job.workerExited(.signaled(SIGKILL), at: now)
        #expect(job.record.state == .failed)
        #expect(job.record.error == "time limit of 3 s exceeded")
        #expect(JobLifecycle.seconds(.milliseconds(1500)) == "1.5")
    }

    @Test func failureReasons() {
        func reason(_ exit: WorkerExit, _ messages: [WorkerMessage] = []) -> String? {
            var job = running()
            for m in messages { _ = job.receive(m) }
            _ = job.workerExited(exit, at: now)
            #expect(job.record.state == .failed)
            return job.record.error
        }
        #expect(reason(.signaled(SIGKILL)) == "the worker was killed by signal 9 (likely the memory limit)")
        #expect(reason(.signaled(SIGSEGV)) == "the worker crashed with signal \(SIGSEGV) (it may have hit the memory limit of 64 MiB)")
        #expect(reason(.exited(1), [.error("invalid model spec: bad")]) == "invalid model spec: bad")
        #expect(reason(.exited(3)) == "the worker exited with status 3")
        #expect(reason(.exited(0)) == "the worker exited without reporting a result")
    }

    @Test func registrationFailure() {
        var job = running()
        _ = job.receive(.done(metrics: [:]))
        _ = job.workerExited(.exited(0), at: now)
        _ = job.registrationFailed("cannot register the trained model", at: now)
        #expect(job.record.state == .failed)
        #expect(job.record.error == "cannot register the trained model")
    }
}

/// The worker's JSON-lines protocol.
struct WorkerMessageTests {
    @Test func roundTrips() {
        let messages: [WorkerMessage] = [
            .batch(JobProgress(epoch: 1, step: 120, steps: 250, metrics: ["loss": 0.31, "accuracy": 0.9])),
            .epoch(EpochRecord(epoch: 2, metrics: ["loss": 0.2, "val_loss": 0.25], seconds: 0.4)),
            .done(metrics: ["accuracy": 0.95]),
            .cancelled,
            .error("label 12 does not fit \"10\" units\n"),
        ]
        for message in messages {
            #expect(WorkerMessage(line: message.jsonLine) == message, "\(message.jsonLine)")
            #expect(!message.jsonLine.contains("\n"))
        }
    }

    @Test func batchLineMatchesTheDocumentedShape() {
        let line = WorkerMessage.batch(JobProgress(epoch: 1, step: 120, steps: 250, metrics: ["loss": 0.31, "accuracy": 0.9])).jsonLine
        #expect(line == #"{"event":"batch","epoch":1,"step":120,"steps":250,"accuracy":0.9,"loss":0.31}"#)
    }

    @Test func nonFiniteNumbersStayValidJSON() throws {
        let line = WorkerMessage.done(metrics: ["loss": .nan, "x": .infinity]).jsonLine
        #expect(line == #"{"event":"done","metrics":{"loss":null,"x":null}}"#)
        guard case let .done(metrics)? = WorkerMessage(line: line) else { Issue.record("not parsed"); return }
        #expect(try #require(metrics["loss"]).isNaN)
    }

    @Test func strayOutputIsIgnored() {
        for line in ["", "hello", "{}", #"{"event":"launch"}"#, #"{"event":"batch","epoch":-1,"step":1,"steps":2}"#, "[1]"] {
            #expect(WorkerMessage(line: line) == nil, "\(line)")
        }
    }
}
