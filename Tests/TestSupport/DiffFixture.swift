public import Foundation

/// Two small disk images for `diff`, each an MBR and one ext4 partition at 1 MiB made by `mkfs.ext4 -d` from a
/// root tree (modes, owners and links as in the tree): `before.qcow2`, a Redis image's bones (accounts, dpkg's
/// status, redis.conf, dibkit's own nftables ruleset with the Redis port, enabled units), and `after.raw`, the
/// same with one of each kind of difference:
/// - packages: redis-server 5:8.0.2-3 → 5:8.0.3-1, jq 1.7.1-6 added;
/// - /etc/redis/redis.conf: other content, mode 0640 → 0600, owner redis:redis → root:redis;
/// - services: redis-server.service no longer wanted by multi-user.target, redis-sentinel.service wanted;
/// - firewall: tcp 6379 from anywhere → only from ip saddr { 10.0.0.0/8 }.
public struct DiffFixture {
    /// The folder holding both images and their trees; removed by `remove()`.
    public let folder: URL
    public let before: URL
    public let after: URL

    public init() throws {
        folder = URL(fileURLWithPath: "/var/tmp/dibkit-diff-tests-\(UUID().uuidString.prefix(8))")
        before = folder.appendingPathComponent("before.qcow2")
        after = folder.appendingPathComponent("after.raw")
        let ruleset = DibkitBinary.repository.appendingPathComponent("elements/firewall/static/usr/share/dibkit/firewall/nftables.conf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try shell("""
            set -e; cd \(folder.path)
            status() { for p in "$@"; do printf 'Package: %s\\nStatus: install ok installed\\nVersion: %s\\n\\n' ${p%=*} ${p#*=}; done; }
            R=before-root; mkdir -p $R/etc/redis $R/etc/nftables.d $R/var/lib/dpkg
            mkdir -p $R/etc/systemd/system/multi-user.target.wants $R/etc/systemd/system/sysinit.target.wants
            printf 'root:x:0:0:root:/root:/bin/sh\\nredis:x:100:101::/var/lib/redis:/usr/sbin/nologin\\n' > $R/etc/passwd
            printf 'root:x:0:\\nredis:x:101:\\n' > $R/etc/group
            echo 'port 6379' > $R/etc/redis/redis.conf; chown 100:101 $R/etc/redis/redis.conf; chmod 640 $R/etc/redis/redis.conf
            cp \(ruleset.path) $R/etc/nftables.conf
            echo 'add rule inet filter input tcp dport 6379 accept comment "redis"' > $R/etc/nftables.d/redis.nft
            ln -s /usr/lib/systemd/system/redis-server.service $R/etc/systemd/system/multi-user.target.wants/
            ln -s /usr/lib/systemd/system/nftables.service $R/etc/systemd/system/sysinit.target.wants/
            status redis-server=5:8.0.2-3 nftables=1.1.3-1 > $R/var/lib/dpkg/status
            cp -a before-root after-root; R=after-root
            status redis-server=5:8.0.3-1 nftables=1.1.3-1 jq=1.7.1-6 > $R/var/lib/dpkg/status
            echo 'port 6380' > $R/etc/redis/redis.conf; chown 0:101 $R/etc/redis/redis.conf; chmod 600 $R/etc/redis/redis.conf
            rm $R/etc/systemd/system/multi-user.target.wants/redis-server.service
            ln -s /usr/lib/systemd/system/redis-sentinel.service $R/etc/systemd/system/multi-user.target.wants/
            echo 'add rule inet filter input ip saddr { 10.0.0.0/8 } tcp dport 6379 accept comment "redis"' > $R/etc/nftables.d/redis.nft
            for tree in before after; do
                truncate -s 32M $tree.raw; printf 'label: dos\\n2048,,83\\n' | sfdisk -q $tree.raw
                mkfs.ext4 -q -F -d $tree-root -E offset=1048576 $tree.raw 31M
            done
            qemu-img convert -f raw -O qcow2 before.raw before.qcow2 && rm before.raw
            """)
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }
}
