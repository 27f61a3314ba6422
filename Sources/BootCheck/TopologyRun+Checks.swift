import Foundation
import HostProcesses
import Reporting

extension TopologyRun {
    /// TLS on every instance that has it (and lets the host in): the authenticated ping worked over TLS, verified
    /// against the instance's CA when it has one; plaintext gets no answer. An instance whose `allowed_networks`
    /// leaves the host out answers neither.
    func checkTLSAndNetworks() async throws {
        for member in members {
            guard topology.hostAllowed(member.instance) else {
                let name = "\(member.name): the database port does not answer a client outside allowed_networks"
                let outcome = try await member.client.run(member.client.pingCommand)
                guard !member.client.answered(outcome) else {
                    throw fail(name, "the host (10.0.2.2) got an answer: \(outcome.summary)", member)
                }
                passed(name)
                continue
            }
            guard let tls = member.instance.tls else { continue }
            passed("\(member.name): TLS handshake with the instance's certificate"
                   + (tls.caPEM == nil ? " (self-signed, not verified)" : ", verified against its CA"))
            let name = "\(member.name): plaintext connections are refused"
            let outcome = try await member.client.run(member.client.pingCommand, plaintext: true)
            guard !member.client.answered(outcome) else {
                throw fail(name, "a plaintext client got an answer: \(outcome.summary)", member)
            }
            passed(name)
        }
    }

    /// The member whose link address is `endpoint`'s host.
    func member(at endpoint: Topology.Endpoint?) -> Member? {
        members.first { $0.instance.address == endpoint?.host }
    }

    /// Data written on the primary is read on each replica the host reaches; each of them refuses writes.
    func checkReplication() async throws {
        let replicas = members.filter { $0.instance.primary != nil }
        guard !replicas.isEmpty else { return }
        for replica in replicas where member(at: replica.instance.primary) == nil {
            throw fail("\(replica.name): its primary is in the topology",
                       "no instance has address \(replica.instance.primary!.host)", replica)
        }
        let roots = members.filter { $0.instance.primary == nil && topology.hostAllowed($0.instance) }
        guard let primary = roots.first else {
            throw fail("a primary the host reaches", "every instance is a replica or keeps the host out", nil)
        }
        let key = "k\(UInt32.random(in: .min ... .max))", value = "v\(UInt32.random(in: .min ... .max))"
        let written = try await primary.client.write(key, value)
        guard primary.client.wrote(written) else {
            throw fail("\(primary.name): takes a write", written.summary, primary)
        }
        passed("\(primary.name): takes a write")
        for replica in replicas where topology.hostAllowed(replica.instance) {
            let name = "\(replica.name): reads what \(primary.name) wrote (replication)"
            let start = clock.now
            while await replica.client.read(key) != value {
                guard clock.now - start < .seconds(180) else {
                    throw fail(name, "the value written on \(primary.name) did not arrive within 180 s", replica)
                }
                try await Task.sleep(for: .seconds(2))
            }
            passed(name)
            let refusal = "\(replica.name): refuses writes (read-only)"
            let attempt = try await replica.client.write("k-\(key)", value)
            guard !replica.client.wrote(attempt) else { throw fail(refusal, "a write succeeded", replica) }
            passed(refusal)
        }
    }

    /// Sentinel: the primary's VM is stopped; a Sentinel the host reaches names a new primary within the
    /// failover timeout; that instance takes writes; every other replica follows it (as Sentinel reports).
    func checkFailover() async throws {
        guard let primary = members.first(where: { $0.instance.primary == nil }),
            let watcher = members.first(where: { $0.sentinelPort != nil && $0.name != primary.name && topology.hostAllowed($0.instance) }),
            let sentinelPort = watcher.sentinelPort, let masterName = watcher.instance.sentinel?.name
        else { throw fail("Sentinel failover", "needs a primary and a Sentinel on another instance the host reaches", nil) }
        let before = try await masterAddress(watcher, port: sentinelPort, name: masterName)
        guard before == primary.instance.address else {
            throw fail("\(watcher.name): Sentinel monitors \(primary.name)", "it names \(before ?? "nothing") as the primary", watcher)
        }
        passed("\(watcher.name): Sentinel monitors \(primary.name) (\(before!))")

        await primary.machine.process.stop(grace: .zero)
        let stopped = clock.now
        var promoted: String?
        while promoted == nil || promoted == primary.instance.address {
            guard clock.now - stopped < options.failoverTimeout else {
                throw fail("Sentinel promotes a replica", "still \(promoted ?? "no answer") after "
                           + "\(options.failoverTimeout.components.seconds) s", watcher)
            }
            try await Task.sleep(for: .seconds(1))
            promoted = try? await masterAddress(watcher, port: sentinelPort, name: masterName)
        }
        report.failoverSeconds = Self.tenths((clock.now - stopped).inSeconds)
        guard let successor = members.first(where: { $0.instance.address == promoted }) else {
            throw fail("Sentinel promotes a replica", "it names \(promoted!), no instance of the topology", watcher)
        }
        passed("Sentinel promoted \(successor.name) \(report.failoverSeconds!) s after \(primary.name)'s VM stopped")

        let takes = "\(successor.name): the new primary takes writes"
        let start = clock.now
        while true {
            let outcome = try await successor.client.write("after-failover", "yes")
            if successor.client.wrote(outcome) { break }
            guard clock.now - start < .seconds(60) else { throw fail(takes, outcome.summary, successor) }
            try await Task.sleep(for: .seconds(2))
        }
        passed(takes)
        for other in members where other.name != successor.name && other.name != primary.name {
            let name = "\(other.name): follows \(successor.name) (Sentinel's view)"
            let start = clock.now
            while case let (following, view) = try await follows(other, successor, watcher: watcher, port: sentinelPort,
                                                                 name: masterName), !following {
                guard clock.now - start < .seconds(180) else {
                    throw fail(name, "Sentinel does not report it replicating from \(successor.instance.address) "
                               + "after 180 s; it says: \(view)", other)
                }
                try await Task.sleep(for: .seconds(2))
            }
            passed(name)
        }
    }

    /// `SENTINEL get-master-addr-by-name` on `watcher`'s Sentinel: the primary's address.
    private func masterAddress(_ watcher: Member, port: Int, name: String) async throws -> String? {
        let outcome = try await watcher.client.run(["SENTINEL", "get-master-addr-by-name", name], port: port)
        guard outcome.status == 0 else { return nil }
        return outcome.output.split(separator: "\n").first.map { String($0) }
    }

    /// Whether Sentinel lists `replica` as replicating from `primary` with its link up; what it said.
    private func follows(_ replica: Member, _ primary: Member, watcher: Member, port: Int, name: String) async throws
        -> (Bool, String)
    {
        let outcome = try await watcher.client.run(["-2", "--json", "SENTINEL", "replicas", name], port: port)
        // RESP2 through redis-cli --json: one array per replica of alternating field names and values.
        let lists = (try? JSONSerialization.jsonObject(with: Data(outcome.output.utf8))) as? [[Any]] ?? []
        let entries = lists.map { list in
            Dictionary(stride(from: 0, to: list.count - 1, by: 2).map { ("\(list[$0])", "\(list[$0 + 1])") },
                       uniquingKeysWith: { first, _ in first })
        }
        let follows = entries.contains {
            $0["ip"] == replica.instance.address && $0["master-host"] == primary.instance.address
                && $0["master-link-status"] == "ok"
        }
        let view = entries.first { $0["ip"] == replica.instance.address }
            .map { "master-host \($0["master-host"] ?? "?"), master-link-status \($0["master-link-status"] ?? "?")" }
        return (follows, view ?? "not listed: \(outcome.summary)")
    }
}
