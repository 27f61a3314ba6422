internal import Foundation

/// Runs `produce` (one call at a time, in order), `transform` (on `workers` threads at once) and `consume`
/// (one call at a time, in the order produced), with at most `window` items between produce and consume:
/// memory stays bounded whatever the input's size. Every thread takes whichever role is free, so one
/// thread alone finishes the work; the first error stops it and is rethrown. The calling thread is one of
/// the workers; the others are threads of their own (not Dispatch's pool, which runs no more at once than
/// there are cores).
enum OrderedPipeline {
    static func run<Item, Output>(
        workers: Int, window: Int,
        produce: @escaping () throws -> Item?,
        transform: @escaping (Item, _ worker: Int) throws -> Output,
        consume: @escaping (Output) throws -> Void
    ) throws {
        let state = PipelineState<Output>()
        let roles = Roles(produce: produce, transform: transform, consume: consume)
        let work: @Sendable (Int) -> Void = { worker in
            let (produce, transform, consume) = (roles.produce, roles.transform, roles.consume)
            state.condition.lock()
            defer { state.condition.unlock() }
            while state.failure == nil {
                if !state.consuming, let ready = state.pending.removeValue(forKey: state.consumed) {
                    state.consuming = true
                    state.condition.unlock()
                    let failure = Result { try consume(ready) }.caughtError
                    state.condition.lock()
                    state.consuming = false
                    state.consumed += 1
                    state.failure = state.failure ?? failure
                } else if state.exhausted {
                    if state.consumed == state.produced { break }
                    state.condition.wait()
                    continue
                } else if !state.producing, state.produced - state.consumed < window {
                    state.producing = true
                    state.condition.unlock()
                    let item = Result { try produce() }
                    state.condition.lock()
                    state.producing = false
                    switch item {
                    case .failure(let error): state.failure = state.failure ?? error
                    case .success(nil): state.exhausted = true
                    case .success(let item?):
                        let sequence = state.produced
                        state.produced += 1
                        state.condition.unlock()
                        let output = Result { try transform(item, worker) }
                        state.condition.lock()
                        switch output {
                        case .success(let output): state.pending[sequence] = output
                        case .failure(let error): state.failure = state.failure ?? error
                        }
                    }
                } else {
                    state.condition.wait()
                    continue
                }
                state.condition.broadcast()
            }
            state.condition.broadcast()
        }
        let finished = DispatchGroup()
        for worker in 1..<max(1, workers) {
            finished.enter()
            Thread {
                work(worker)
                finished.leave()
            }.start()
        }
        work(0)
        finished.wait()
        if let failure = state.failure { throw failure }
    }
}

/// The three roles, handed to every worker thread. The pipeline calls `produce` and `consume` one thread at
/// a time (under its lock's protocol) and `transform` on distinct items, which is what makes sharing them safe.
private struct Roles<Item, Output>: @unchecked Sendable {
    let produce: () throws -> Item?
    let transform: (Item, Int) throws -> Output
    let consume: (Output) throws -> Void
}

/// The pipeline's shared state; every field is read and written only with `condition` locked.
private final class PipelineState<Output>: @unchecked Sendable {
    let condition = NSCondition()
    var pending: [Int: Output] = [:]
    var produced = 0
    var consumed = 0
    var producing = false
    var consuming = false
    var exhausted = false
    var failure: (any Error)?
}

extension Result {
    var caughtError: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
