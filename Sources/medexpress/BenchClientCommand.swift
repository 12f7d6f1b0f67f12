import ClientKit
import Glibc

/// `medexpress bench-client`: ClientKit as a load generator. `concurrency` tasks each call
/// `grpc.testing.TestService/UnaryCall` in a loop through one `GRPCChannel` (so `concurrency` is
/// the number of calls in flight), for `warmup` and then `duration`, and one JSON line reports
/// the measured window: requests/s, latency percentiles and the client's CPU time per request.
///
/// Bounded by construction: the loops stop starting calls at the end of the window, and calls
/// still running `gracePeriod` later are cancelled. Latencies are kept in arrays allocated up
/// front, at most `maxSamplesPerTask` per task (fewer when many tasks run, so that all of them
/// together stay within `sampleBudget`); calls past that are counted but not sampled.
struct BenchClientCommand {
    static let maxSamplesPerTask = 2_000_000
    static let sampleBudget = 32_000_000
    static let gracePeriod: Duration = .seconds(5)

    let target: SocketAddress
    let tls: TLSConfiguration?
    let connections: Int
    let concurrency: Int
    let duration: Duration
    let warmup: Duration
    let payloadBytes: Int

    init(_ rawArguments: ArraySlice<String>) throws(UsageError) {
        var arguments = try Arguments(rawArguments, booleanFlags: [])
        guard let targetText = arguments.string("target") else { throw UsageError("--target HOST:PORT is required") }
        guard let target = SocketAddress(parsing: targetText) else {
            throw UsageError("--target takes HOST:PORT, got \(targetText)")
        }
        self.target = target
        let ca = arguments.string("ca")
        let serverName = arguments.string("server-name")
        if let ca {
            tls = .client(trustRootsFile: ca, serverName: serverName)
        } else {
            guard serverName == nil else { throw UsageError("--server-name needs --ca (TLS)") }
            tls = nil
        }
        connections = try arguments.integer("connections", default: 1, range: 1...ChannelConfiguration.maxConnections)
        concurrency = try arguments.integer("concurrency", default: 16, range: 1...100_000)
        duration = try Self.seconds(&arguments, "duration-seconds", default: 10, minimum: 0.001)
        warmup = try Self.seconds(&arguments, "warmup-seconds", default: 2, minimum: 0)
        payloadBytes = try arguments.integer("payload-bytes", default: 100, range: 0...(1 << 20))
        try arguments.rejectUnknown()
    }

    /// A non-negative number of seconds, fractions allowed.
    private static func seconds(_ arguments: inout Arguments, _ name: String, default value: Double,
                                minimum: Double) throws(UsageError) -> Duration {
        let text = arguments.string(name)
        let number = text.map { Double($0) } ?? value
        guard let number, number.isFinite, number >= minimum, number <= 86_400 else {
            throw UsageError("--\(name) takes a number of seconds (at least \(minimum)), got \(text ?? "")")
        }
        return .nanoseconds(Int64(number * 1e9))
    }

    /// What one load task measured.
    private struct TaskResult: Sendable {
        /// Latencies (µs) of the calls that completed successfully inside the measured window.
        var latencies: [UInt32]
        var succeeded = 0
        var failed = 0
        /// Successful calls whose latency was not kept (the per-task cap was reached).
        var unsampled = 0
        /// The task's first failure and when it happened.
        var firstError: (at: ContinuousClock.Instant, error: String)?
    }

    private enum Piece: Sendable {
        case task(TaskResult)
        case cpu(microseconds: Int64)
        case watchdog
    }

    func run() async throws {
        var configuration = ChannelConfiguration()
        configuration.connections = connections
        let channel = try GRPCChannel(target: target, tls: tls, configuration: configuration)
        let client = Grpc_Testing_TestServiceClient(channel: channel)
        let request = Grpc_Testing_SimpleRequest.with {
            $0.responseSize = Int32(payloadBytes)
            $0.payload = .with { $0.body = [UInt8](repeating: 0, count: payloadBytes) }
        }
        let capacity = min(Self.maxSamplesPerTask, max(10_000, Self.sampleBudget / concurrency))

        let start = ContinuousClock.now
        let windowStart = start + warmup
        let windowEnd = windowStart + duration
        let hardStop = windowEnd + Self.gracePeriod

        var results: [TaskResult] = []
        results.reserveCapacity(concurrency)
        var cpuMicroseconds: Int64 = 0
        await withTaskGroup(of: Piece.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    .task(await Self.load(client, request, capacity: capacity, from: windowStart, until: windowEnd))
                }
            }
            // The client's CPU time over the measured window.
            group.addTask {
                try? await Task.sleep(until: windowStart, clock: .continuous)
                let before = Self.processCPUMicroseconds()
                try? await Task.sleep(until: windowEnd, clock: .continuous)
                return .cpu(microseconds: Self.processCPUMicroseconds() - before)
            }
            // Calls that outlive the window by more than the grace period are cancelled.
            group.addTask {
                try? await Task.sleep(until: hardStop, clock: .continuous)
                return .watchdog
            }
            var pending = concurrency + 1
            while let piece = await group.next() {
                switch piece {
                case .task(let result):
                    results.append(result)
                    pending -= 1
                case .cpu(let microseconds):
                    cpuMicroseconds = microseconds
                    pending -= 1
                case .watchdog:
                    group.cancelAll()
                }
                if pending == 0 { group.cancelAll() }
            }
        }
        await channel.close()

        let succeeded = results.reduce(0) { $0 + $1.succeeded }
        let failed = results.reduce(0) { $0 + $1.failed }
        let unsampled = results.reduce(0) { $0 + $1.unsampled }
        var latencies: [UInt32] = []
        latencies.reserveCapacity(results.reduce(0) { $0 + $1.latencies.count })
        for result in results { latencies.append(contentsOf: result.latencies) }
        latencies.sort()

        if let first = results.compactMap(\.firstError).min(by: { $0.at < $1.at }) {
            printError("bench-client: first failed call: \(first.error)")
        }
        if unsampled > 0 {
            printError("bench-client: \(unsampled) calls past the cap of \(capacity) samples per task are not in the percentiles")
        }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let report = [
            "\"rps\": \(json(Double(succeeded) / seconds))",
            "\"succeeded\": \(succeeded)",
            "\"failed\": \(failed)",
            "\"p50_us\": \(percentile(latencies, 0.50))",
            "\"p90_us\": \(percentile(latencies, 0.90))",
            "\"p99_us\": \(percentile(latencies, 0.99))",
            "\"client_cpu_us_per_request\": \(json(succeeded > 0 ? Double(cpuMicroseconds) / Double(succeeded) : .nan))",
        ]
        printLine("{" + report.joined(separator: ", ") + "}")
        if succeeded == 0 { throw BenchFailure(description: "no call succeeded in the measured window (\(failed) failed)") }
    }

    /// One task's loop: calls back to back until `end`; calls completing in `[from, end)` count.
    private static func load(_ client: Grpc_Testing_TestServiceClient, _ request: Grpc_Testing_SimpleRequest,
                             capacity: Int, from windowStart: ContinuousClock.Instant,
                             until windowEnd: ContinuousClock.Instant) async -> TaskResult {
        var result = TaskResult(latencies: [])
        result.latencies.reserveCapacity(capacity)
        while !Task.isCancelled {
            let begin = ContinuousClock.now
            if begin >= windowEnd { break }
            var failure: String?
            do {
                _ = try await client.unaryCall(request)
            } catch {
                failure = "\(error)"
            }
            let end = ContinuousClock.now
            if let failure, result.firstError == nil { result.firstError = (end, failure) }
            guard end >= windowStart, end < windowEnd else { continue }
            if failure != nil {
                result.failed += 1
            } else {
                result.succeeded += 1
                if result.latencies.count < capacity {
                    result.latencies.append(microseconds(end - begin))
                } else {
                    result.unsampled += 1
                }
            }
        }
        return result
    }

    private static func microseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let value = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return UInt32(clamping: value)
    }

    /// User plus system CPU time of this process so far, in microseconds.
    private static func processCPUMicroseconds() -> Int64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Int64(usage.ru_utime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec)
        let system = Int64(usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_stime.tv_usec)
        return user + system
    }

    /// The nearest-rank percentile, as scripts/bench/h2load_report.py computes it.
    private func percentile(_ sorted: [UInt32], _ fraction: Double) -> String {
        guard !sorted.isEmpty else { return "NaN" }
        let index = min(sorted.count - 1, Int((fraction * Double(sorted.count - 1)).rounded(.toNearestOrEven)))
        return "\(sorted[index])"
    }

    /// A JSON number (NaN as Python's json module writes it, which the bench scripts read).
    private func json(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "NaN"
    }
}

/// The load run produced no successful call.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
}
