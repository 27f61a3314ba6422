public import HostProcesses

/// The steps of a boot check, in order.
public enum BootPhase: String, Sendable, Codable {
    case preparing, booting, checking, poweringDown = "powering-down", rebooting, recheck
}

/// The result of a successful boot check.
public struct BootReport: Sendable, Codable, Equatable {
    /// One timed phase.
    public struct Phase: Sendable, Codable, Equatable {
        public var name: BootPhase
        public var seconds: Double
    }

    public var image: String
    public var accelerator: AcceleratorChoice
    public var database: DatabaseKind
    /// The forwarded port on 127.0.0.1.
    public var hostPort: Int
    public var instanceID: String
    public var phases: [Phase] = []
    /// Names of the checks that passed, in order.
    public var checks: [String] = []
    /// Where the serial console was kept, if asked.
    public var consolePath: String?
    public var totalSeconds: Double = 0
}
