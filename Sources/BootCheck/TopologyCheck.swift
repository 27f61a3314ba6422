public import Foundation
import QcowIO
public import HostProcesses
public import Reporting

/// What to boot as a topology and how.
public struct TopologyOptions: Sendable {
    /// The image every instance boots (never modified: each writes to its own overlay).
    public var image: URL
    public var topology: Topology
    public var database: DatabaseKind
    /// Memory (MiB) and CPUs of each guest.
    public var memoryMiB = 1024
    public var cpus = 1
    /// How long the instances may take, all together, until each database answers; nil: 15 min under TCG.
    public var bootTimeout: Duration?
    /// How long Sentinel may take to promote a replica once the primary's VM stopped.
    public var failoverTimeout: Duration = .seconds(180)
    /// A folder to copy each instance's serial console into (`console-NAME.log`), kept also on failure.
    public var keepConsoles: URL?
    /// Where the run's temporary directory is made; the system temporary directory by default.
    public var workParent: URL?

    public init(image: URL, topology: Topology, database: DatabaseKind) {
        self.image = image
        self.topology = topology
        self.database = database
    }
}

/// The result of a topology check that passed.
public struct TopologyReport: Sendable, Codable, Equatable {
    public var image: String
    public var accelerator: AcceleratorChoice
    public var database: DatabaseKind
    /// Each instance's forwarded database port on 127.0.0.1, by name.
    public var hostPorts: [String: Int] = [:]
    /// Seconds from the first qemu start until every instance's database answered (or, out of the host's
    /// reach, its first boot finished).
    public var readySeconds: Double = 0
    /// Seconds from stopping the primary's VM until Sentinel named a new primary; nil without Sentinel.
    public var failoverSeconds: Double?
    /// Names of the checks that passed, in order.
    public var checks: [String] = []
    public var totalSeconds: Double = 0
}

/// Boots every instance of `options.topology` side by side on a private link (a qemu socket multicast group,
/// addresses set through NoCloud network-config) and checks, from the host, through each instance's
/// forwarded port: TLS (a handshake with the instance's certificate verified against its CA; plaintext
/// refused), client networks (an instance whose `allowed_networks` leaves out the host does not answer it),
/// replication (what the primary takes, each replica reads; a replica refuses writes) and, with Sentinel,
/// failover (the primary's VM stopped, Sentinel promotes a replica within `failoverTimeout`, the new primary
/// takes writes and the other replicas follow it).
///
/// qemu is stopped and the temporary directory removed on every way out.
public func runTopologyCheck(
    _ options: TopologyOptions, accelerator: AcceleratorChoice, progress: @escaping ProgressHandler
) async throws -> TopologyReport {
    let directory = try makePrivateDirectory(in: options.workParent, prefix: "dibkit-topo")
    let run = TopologyRun(options: options, accelerator: accelerator, directory: directory, progress: progress)
    return try await run.execute(cleaningUp: run.cleanUp)
}

/// One topology check's state; used from one task.
final class TopologyRun: GuestRun {
    /// One booted instance: its topology entry, its qemu, and a client for its database (and its Sentinel).
    struct Member {
        let instance: Topology.Instance
        let machine: QemuMachine
        let client: TopologyClient
        let sentinelPort: Int?
        var name: String { instance.name }
    }

    let options: TopologyOptions
    let accelerator: AcceleratorChoice
    let directory: URL
    let progress: ProgressHandler
    let timer: StepTimer
    let clock = ContinuousClock()
    var members: [Member] = []
    var report: TopologyReport

    init(options: TopologyOptions, accelerator: AcceleratorChoice, directory: URL, progress: @escaping ProgressHandler) {
        self.options = options
        self.accelerator = accelerator
        self.directory = directory
        self.progress = progress
        timer = StepTimer(progress: progress)
        report = TopologyReport(image: options.image.path, accelerator: accelerator, database: options.database)
    }

    var topology: Topology { options.topology }

    func execute() async throws -> TopologyReport {
        let start = clock.now
        try await timer.time("booting", detail: "\(topology.instances.count) instances, \(accelerator.accelerator.rawValue)") {
            try await bootAll()
        }
        try await timer.time("checking", detail: "TLS, client networks, replication") {
            try await checkTLSAndNetworks()
            try await checkReplication()
        }
        if members.contains(where: { $0.sentinelPort != nil }) {
            try await timer.time("failover", detail: "the primary's VM stopped") { try await checkFailover() }
        }
        report.totalSeconds = Self.tenths((clock.now - start).inSeconds)
        return report
    }

    func cleanUp() async {
        for member in members { await member.machine.process.stop() }
        if let keep = options.keepConsoles {
            try? FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
            for member in members {
                try? Data(member.machine.console.text().utf8).write(to: keep.appendingPathComponent("console-\(member.name).log"))
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static func tenths(_ seconds: Double) -> Double { (seconds * 10).rounded() / 10 }

    func passed(_ name: String) {
        report.checks.append(name)
        progress(.passed(name))
    }

    func fail(_ check: String, _ reason: String, _ member: Member?) -> BootCheckError {
        .checkFailed(check: check, reason: reason, consoleTail: member.map { "[\($0.name)]\n" + $0.machine.console.tail() } ?? "")
    }

    // MARK: Booting

    private func bootAll() async throws {
        let format = try BootRun.format(of: options.image.standardizedFileURL)
        let group = "230.0.\(Int.random(in: 1...254)).\(Int.random(in: 1...254)):\(try freeLoopbackPort())"
        let start = clock.now
        for (index, instance) in topology.instances.enumerated() {
            let folder = directory.appendingPathComponent(instance.name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
            let overlay = folder.appendingPathComponent("overlay.qcow2"), seed = folder.appendingPathComponent("seed.iso")
            try await ChildProcess.run(
                "qemu-img", ["create", "-f", "qcow2", "-F", format.rawValue, "-b", options.image.standardizedFileURL.path, overlay.path],
                log: folder.appendingPathComponent("qemu-img.log"))
            let mac = String(format: "52:54:00:77:00:%02x", index + 1)
            try await NoCloudSeed.make(
                iso: seed, userData: instance.userData, instanceID: NoCloudSeed.newInstanceID(), hostname: instance.name,
                networkConfig: Self.networkConfig(linkMAC: mac, address: instance.address), in: folder)
            let hostPort = try freeLoopbackPort()
            let sentinelPort = try instance.sentinel.map { _ in try freeLoopbackPort() }
            var forwards = [(hostPort, instance.settings.port)]
            if let sentinelPort, let sentinel = instance.sentinel { forwards.append((sentinelPort, sentinel.port)) }
            let machine = try QemuMachine.start(
                overlay: overlay, seed: seed, accelerator: accelerator.accelerator, memoryMiB: options.memoryMiB,
                cpus: options.cpus, forwards: forwards, link: .init(group: group, mac: mac), directory: folder,
                tag: instance.name)
            let client = TopologyClient(kind: options.database, settings: instance.settings, hostPort: hostPort,
                                        transport: try transport(for: instance, in: folder))
            members.append(Member(instance: instance, machine: machine, client: client, sentinelPort: sentinelPort))
            report.hostPorts[instance.name] = hostPort
        }
        let timeout = options.bootTimeout ?? (accelerator.accelerator == .tcg ? .seconds(900) : .seconds(300))
        var waiting = members
        while !waiting.isEmpty {
            try Task.checkCancellation()
            for member in waiting {
                if let status = member.machine.process.exitStatus {
                    throw BootCheckError.bootFailed(
                        reason: "\(member.name): qemu exited with status \(status): \(member.machine.qemuMessages())",
                        consoleTail: member.machine.console.tail())
                }
                if let marker = member.machine.console.fatalMarker() {
                    throw BootCheckError.bootFailed(reason: "\(member.name): the console shows \"\(marker)\"",
                                                    consoleTail: member.machine.console.tail())
                }
            }
            var still: [Member] = []
            for member in waiting where !(await ready(member)) { still.append(member) }
            waiting = still
            if !waiting.isEmpty {
                guard clock.now - start < timeout else {
                    throw BootCheckError.bootFailed(
                        reason: "\(waiting.map(\.name).joined(separator: ", ")) not ready within "
                            + "\(timeout.components.seconds) s (database answering, or first boot done)",
                        consoleTail: waiting[0].machine.console.tail())
                }
                try await Task.sleep(for: .seconds(3))
            }
        }
        report.readySeconds = Self.tenths((clock.now - start).inSeconds)
        for member in members {
            let failed = member.machine.console.failedUnits()
            guard failed.isEmpty else {
                throw fail("\(member.name): no unit failed to start", "systemd failed to start \(failed.joined(separator: ", "))", member)
            }
        }
        passed("every instance configured once, no unit failed to start")
    }

    /// Ready: first boot done and, when the host is let in, the database answering.
    private func ready(_ member: Member) async -> Bool {
        guard member.machine.console.text().contains("dibkit-firstboot: configured instance") else { return false }
        return topology.hostAllowed(member.instance) ? await member.client.answers() : true
    }

    /// netplan (v2) network-config: DHCP on the user network card, `address`/24 on the link's.
    static func networkConfig(linkMAC: String, address: String) -> String {
        """
        version: 2
        ethernets:
          user:
            match: {macaddress: "\(QemuMachine.userNetworkMAC)"}
            dhcp4: true
          link:
            match: {macaddress: "\(linkMAC)"}
            addresses: [\(address)/24]

        """
    }

    /// How the host's client reaches `instance`: plaintext without TLS; else verified against its CA, written
    /// into `folder`, or unverified (a self-signed certificate).
    private func transport(for instance: Topology.Instance, in folder: URL) throws -> TopologyClient.Transport {
        guard let tls = instance.tls else { return .plaintext }
        guard let ca = tls.caPEM else { return .unverified }
        let file = folder.appendingPathComponent("ca.pem")
        try Data(ca.utf8).write(to: file)
        return .verified(caFile: file)
    }
}
