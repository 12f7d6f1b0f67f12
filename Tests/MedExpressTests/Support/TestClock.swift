import MedExpress
import Synchronization

/// Wall-clock time that a test can move forward (days passing between consultation and checkout).
final class TestClock: Sendable {
    private let offsetMicroseconds = Mutex<Int64>(0)

    func now() -> Int64 { WallClock.nowMicroseconds() + offsetMicroseconds.withLock { $0 } }

    func advance(days: Int) {
        offsetMicroseconds.withLock { $0 += Int64(days) * 86_400_000_000 }
    }

    func advance(hours: Int) {
        offsetMicroseconds.withLock { $0 += Int64(hours) * 3_600_000_000 }
    }
}
