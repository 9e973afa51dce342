import Testing
@testable import TernServing

@Suite struct BatchSchedulerTests {
    let t0 = ContinuousClock.now
    let images = BatchScheduler.Key(elementType: "uint8", sampleShape: [28, 28])

    func scheduler(max: Int = 8, delay: Int = 1000, preferred: [Int] = [], queue: Int = 16, inFlight: Int = 1) -> BatchScheduler {
        BatchScheduler(configuration: BatchingConfiguration(maxBatchSize: max, maxQueueDelayMicroseconds: delay,
                                                            preferredBatchSizes: preferred, maxQueueSize: queue),
                       maxInFlight: inFlight)
    }

    func entry(_ id: UInt64, _ samples: Int = 1, key: BatchScheduler.Key? = nil, at offset: Int = 0) -> BatchScheduler.Entry {
        .init(id: id, key: key ?? images, samples: samples, enqueued: t0.advanced(by: .microseconds(offset)))
    }

    @Test func waitsForTheDelayThenTakesWhatFits() {
        var s = scheduler()
        let accepted = s.enqueue(entry(1)) && s.enqueue(entry(2, 3, at: 10))
        #expect(accepted)
        do { let result = s.next(now: t0); #expect(result == .wait(until: t0.advanced(by: .microseconds(1000)))) }
        do { let result = s.next(now: t0.advanced(by: .microseconds(1000))); #expect(result == .dispatch(ids: [1, 2], samples: 4)) }
        #expect(s.inFlight == 1 && s.queued == 0)
        do { let result = s.next(now: t0); #expect(result == .idle) }
    }

    @Test func leavesAtOnceWhenFullOrTheNextRequestDoesNotFit() {
        var s = scheduler(max: 4, inFlight: 4)
        for id in 1...4 { _ = s.enqueue(entry(UInt64(id))) }
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [1, 2, 3, 4], samples: 4)) }
        _ = s.enqueue(entry(5, 3))
        _ = s.enqueue(entry(6, 2))
        // 3 + 2 > 4: request 6 cannot join, so 5 leaves without waiting (never split).
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [5], samples: 3)) }
        do { let result = s.next(now: t0); #expect(result == .wait(until: t0.advanced(by: .microseconds(1000)))) }
    }

    @Test func aRequestLargerThanTheMaximumLeavesAlone() {
        var s = scheduler(max: 4)
        _ = s.enqueue(entry(1, 10))
        _ = s.enqueue(entry(2))
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [1], samples: 10)) }
    }

    @Test func preferredSizesLeaveEarly() {
        var s = scheduler(max: 16, preferred: [2, 4], inFlight: 2)
        _ = s.enqueue(entry(1))
        do { let result = s.next(now: t0); #expect(result == .wait(until: t0.advanced(by: .microseconds(1000)))) }
        for id in 2...5 { _ = s.enqueue(entry(UInt64(id))) }
        // Five samples waiting: the longest preferred prefix (4) leaves now.
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [1, 2, 3, 4], samples: 4)) }
        #expect(s.queued == 1)
    }

    @Test func differentElementTypesOrShapesAreNotMixed() {
        var s = scheduler(inFlight: 3)
        let floats = BatchScheduler.Key(elementType: "float32", sampleShape: [28, 28])
        _ = s.enqueue(entry(1))
        _ = s.enqueue(entry(2, key: floats))
        _ = s.enqueue(entry(3))
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [1], samples: 1)) }
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [2], samples: 1)) }
        do { let result = s.next(now: t0); #expect(result == .wait(until: t0.advanced(by: .microseconds(1000)))) }
    }

    @Test func boundsTheQueueAndTheBatchesInFlight() {
        var s = scheduler(max: 2, queue: 3, inFlight: 1)
        let accepted = s.enqueue(entry(1)) && s.enqueue(entry(2)) && s.enqueue(entry(3))
        #expect(accepted)
        do { let result = s.enqueue(entry(4)); #expect(!result) }
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [1, 2], samples: 2)) }
        do { let result = s.enqueue(entry(4)); #expect(result) }
        // One batch runs: the rest waits even past its deadline.
        do { let result = s.next(now: t0.advanced(by: .seconds(5))); #expect(result == .idle) }
        s.finished()
        do { let result = s.next(now: t0); #expect(result == .dispatch(ids: [3, 4], samples: 2)) }
    }

    @Test func removesAWaitingRequest() {
        var s = scheduler()
        _ = s.enqueue(entry(1))
        _ = s.enqueue(entry(2))
        do { let result = s.remove(id: 1); #expect(result) }
        do { let result = s.remove(id: 1); #expect(!result) }
        do { let result = s.next(now: t0.advanced(by: .seconds(1))); #expect(result == .dispatch(ids: [2], samples: 1)) }
    }

    @Test func configurationIsValidated() throws {
        #expect(!BatchingConfiguration.disabled.isEnabled)
        #expect(BatchingConfiguration.disabled.maxBatchSize == 32 && BatchingConfiguration.disabled.maxQueueSize == 1024)
        let sorted = try BatchingConfiguration(maxQueueDelayMicroseconds: 5, preferredBatchSizes: [16, 4]).validated()
        #expect(sorted.preferredBatchSizes == [4, 16] && sorted.isEnabled)
        let bad: [(BatchingConfiguration, String)] = [
            (.init(maxBatchSize: 0), "max_batch_size"),
            (.init(maxBatchSize: 5000), "max_batch_size"),
            (.init(maxQueueDelayMicroseconds: -1), "max_queue_delay_microseconds"),
            (.init(maxQueueDelayMicroseconds: 2_000_000), "max_queue_delay_microseconds"),
            (.init(maxQueueSize: 0), "max_queue_size"),
            (.init(maxBatchSize: 8, preferredBatchSizes: [16]), "preferred_batch_sizes"),
            (.init(preferredBatchSizes: [0]), "preferred_batch_sizes"),
            (.init(preferredBatchSizes: [4, 4]), "preferred_batch_sizes"),
        ]
        for (configuration, field) in bad {
            #expect(throws: BatchingConfigurationError.self) { try configuration.validated() }
            do { _ = try configuration.validated() } catch let error as BatchingConfigurationError { #expect(error.field == field) } catch {}
        }
    }
}
