import Foundation
import Synchronization
import Testing
import TernServing

/// A gate the test opens to let blocked work finish.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func open(_ count: Int = 1) { for _ in 0..<count { semaphore.signal() } }
}

/// Waits (briefly polling) until `condition` holds.
func eventually(_ condition: @Sendable () async -> Bool) async throws {
    for _ in 0..<500 {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("condition not reached")
}

/// Counts work running at once and its peak.
final class Concurrency: Sendable {
    private let state = Mutex<(current: Int, peak: Int)>((0, 0))
    func enter() { state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

@Suite struct InferenceLimiterTests {
    @Test func runsWorkAndReturnsItsResult() async throws {
        let limiter = InferenceLimiter(maxConcurrent: 2, maxQueued: 4)
        #expect(try await limiter.run { 6 * 7 } == 42)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await limiter.run { throw Boom() } }
        #expect(await limiter.load == (0, 0))
    }

    @Test func defaultsFollowTheMachine() {
        let limiter = InferenceLimiter()
        #expect(limiter.maxConcurrent == ProcessInfo.processInfo.activeProcessorCount)
        #expect(limiter.maxQueued == 256)
    }

    @Test func neverRunsMoreThanTheLimitAtOnce() async throws {
        let limiter = InferenceLimiter(maxConcurrent: 3, maxQueued: 100)
        let counter = Concurrency()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await limiter.run {
                        counter.enter()
                        usleep(2000)
                        counter.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counter.peak <= 3)
        #expect(counter.peak >= 1)
        #expect(await limiter.load == (0, 0))
    }

    @Test func refusesPastTheQueueLimit() async throws {
        let limiter = InferenceLimiter(maxConcurrent: 1, maxQueued: 2)
        let gate = Gate()
        let running = Task { try await limiter.run { gate.wait(); return 1 } }
        try await eventually { await limiter.load.running == 1 }
        let queued = (0..<2).map { i in Task { try await limiter.run { i + 10 } } }
        try await eventually { await limiter.load.queued == 2 }
        await #expect(throws: InferenceLimiterError.overloaded(running: 1, queued: 2)) {
            try await limiter.run { 0 }
        }
        gate.open()
        #expect(try await running.value == 1)
        #expect(try await queued[0].value == 10)
        #expect(try await queued[1].value == 11)
        #expect(await limiter.load == (0, 0))
        // Capacity is back.
        #expect(try await limiter.run { 5 } == 5)
    }

    @Test func cancelledWaitersLeaveTheQueue() async throws {
        let limiter = InferenceLimiter(maxConcurrent: 1, maxQueued: 1)
        let gate = Gate()
        let running = Task { try await limiter.run { gate.wait(); return 1 } }
        try await eventually { await limiter.load.running == 1 }
        let waiting = Task { try await limiter.run { 2 } }
        try await eventually { await limiter.load.queued == 1 }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(await limiter.load.queued == 0)
        gate.open()
        #expect(try await running.value == 1)
        #expect(await limiter.load == (0, 0))
    }
}
