import Reporting
import Synchronization
import Testing

@Suite("One step timer and one failure classification for every workflow")
struct StepTimerTests {
    @Test("steps report their start (with detail) and end, in order, and their seconds are kept and summed by name")
    func timesSteps() async throws {
        let events = Mutex<[ProgressEvent]>([])
        let timer = StepTimer { event in events.withLock { $0.append(event) } }
        let value = await timer.time("first", detail: "a detail") { 42 }
        #expect(value == 42)
        let started = timer.start("second")
        try await Task.sleep(for: .milliseconds(20))
        timer.finish("second", startedAt: started)
        await timer.time("first") {}
        #expect(timer.timings.map(\.name) == ["first", "second", "first"])
        #expect(timer.timings[1].seconds >= 0.02)
        let byStep = timer.secondsByStep
        #expect(byStep.keys.sorted() == ["first", "second"])
        #expect(byStep["first"]! == timer.timings[0].seconds + timer.timings[2].seconds)
        let seen = events.withLock { $0 }
        #expect(seen.first == .stepStarted("first", detail: "a detail"))
        #expect(seen.count == 6)
        if case .stepFinished(let name, let seconds) = seen[3] {
            #expect(name == "second" && seconds == timer.timings[1].seconds)
        } else {
            Issue.record("the fourth event is not second's end: \(seen[3])")
        }
    }

    @Test("a step that throws reports its start and records nothing")
    func failingStep() async {
        struct Boom: Error {}
        let timer = StepTimer { _ in }
        await #expect(throws: Boom.self) { try await timer.time("failing") { throw Boom() } }
        #expect(timer.timings.isEmpty)
    }

    @Test("exit statuses: classified errors by their kind, cancellation as interrupted, anything else as failed")
    func failureKinds() {
        struct Refused: ClassifiedError { var failureKind: FailureKind { .badInput } }
        struct Plain: Error {}
        #expect(failureKind(of: Refused()).exitStatus == 2)
        #expect(failureKind(of: CancellationError()).exitStatus == 130)
        #expect(failureKind(of: Plain()).exitStatus == 1)
    }
}
