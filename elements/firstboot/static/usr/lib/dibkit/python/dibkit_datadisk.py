"""The data disk: `dibkit: {data_disk: auto | /dev/vdX}` puts the database's data on its own disk.

The disk is formatted once (ext4, label `dibkit-data`) and mounted at /var/lib/dibkit/data by a systemd mount
unit; a disk that already holds that label (a volume moved from an earlier instance) is mounted and never
formatted again. The database's own data directory (/var/lib/redis, /var/lib/postgresql, /var/lib/mysql…) is
a bind mount of a folder on it, so the server, its packaging, its sandboxing and its tools keep their paths;
the database's unit requires the mount (it does not start on the root disk's empty folder when the disk is
missing). On a new disk, what the image had in the data directory is copied there first.

`auto` takes a disk holding the label if there is one, else the first empty extra disk: no partition table and
no filesystem signature (a second qemu drive, a DigitalOcean volume), or Nova's ephemeral disk (the
filesystem Nova made, labelled `ephemeral0`, which cloud-init mounts at /mnt: it is unmounted and its fstab line
dropped). A named disk holding anything else is refused, never formatted.
"""

import json
import os

import dibkit_firstboot as fb

MOUNT_POINT = "/var/lib/dibkit/data"
LABEL = "dibkit-data"
NOVA_EPHEMERAL_LABEL = "ephemeral0"
REUSED_MARKER = "/run/dibkit/data-disk-reused"
UNIT_FOLDER = "/etc/systemd/system"
# The data directory and the units of each database, by its first-boot hook's section name.
DATABASES = {
    "redis": ("/var/lib/redis", ["redis-server.service", "redis-sentinel.service"]),
    "valkey": ("/var/lib/valkey", ["valkey-server.service", "valkey-sentinel.service"]),
    "postgresql": ("/var/lib/postgresql", ["postgresql@.service"]),
    "mariadb": ("/var/lib/mysql", ["mariadb.service"]),
    "mysql": ("/var/lib/mysql", ["mysql.service"]),
    "mongodb": ("/var/lib/mongodb", ["mongod.service"]),
}


def installed_databases():
    """Section names of the databases whose first-boot hook is in the image (50-redis → redis)."""
    folder = fb.path("/usr/lib/dibkit/firstboot.d")
    names = [name.split("-", 1)[1] for name in sorted(os.listdir(folder)) if "-" in name] if os.path.isdir(folder) else []
    return [name for name in names if name in DATABASES]


def check(value):
    """`value` as "auto" or an absolute device path."""
    if value == "auto" or (isinstance(value, str) and value.startswith("/dev/") and ".." not in value):
        return value
    raise fb.FirstbootError(f"data_disk {value!r} must be `auto` (the first empty extra disk) or a device path "
                            f"such as /dev/vdb")


def block_devices():
    """lsblk's tree of whole disks with their partitions, as dicts (path, type, fstype, label, uuid,
    mountpoint, pttype, ro, children)."""
    output = fb.run_tool(["lsblk", "--json", "--paths", "--output",
                          "PATH,TYPE,FSTYPE,LABEL,UUID,MOUNTPOINT,PTTYPE,RO"], "listing the disks (lsblk)")
    return json.loads(output).get("blockdevices", [])


def flattened(devices):
    """Every device of lsblk's tree, children after their parent."""
    for device in devices:
        yield device
        yield from flattened(device.get("children") or [])


def root_disk(devices):
    """The path of the disk holding `/` (directly or through a partition), or None."""
    for disk in devices:
        if any(part.get("mountpoint") == "/" for part in flattened([disk])):
            return disk["path"]
    return None


def kind(disk):
    """What a whole disk holds: "ours" (the dibkit-data label), "empty", "ephemeral" (Nova's), or None (anything
    else: partitions, another filesystem, a read-only or mounted disk)."""
    if disk.get("ro") in (True, "1", 1) or disk.get("children"):
        return None
    if disk.get("label") == LABEL and disk.get("fstype") == "ext4":
        return "ours"
    if (disk.get("label") or "").lower() == NOVA_EPHEMERAL_LABEL and disk.get("fstype") in ("ext4", "ext3", "vfat", "xfs"):
        return "ephemeral"
    if not disk.get("fstype") and not disk.get("pttype") and not disk.get("mountpoint"):
        return "empty"
    return None


def choose(value, devices):
    """(disk, kind) for `value` among lsblk's `devices`; raises when none fits."""
    root = root_disk(devices)
    disks = [disk for disk in devices if disk.get("type") == "disk" and disk["path"] != root]
    if value == "auto":
        ours = [disk for disk in disks if kind(disk) == "ours"]
        if ours:
            return ours[0], "ours"
        for disk in disks:
            if kind(disk) in ("empty", "ephemeral"):
                return disk, kind(disk)
        seen = ", ".join(f"{disk['path']} ({disk.get('fstype') or disk.get('pttype') or 'in use'})" for disk in disks)
        raise fb.FirstbootError(f"data_disk: auto found no empty extra disk (seen: {seen or 'none besides the root disk'}); "
                                f"attach an empty volume, or name one with data_disk: /dev/vdX")
    wanted = os.path.realpath(fb.path(value)) if fb.root() == "/" else value
    for disk in devices:
        if disk["path"] in (value, wanted):
            if disk["path"] == root:
                raise fb.FirstbootError(f"data_disk {value} is the root disk")
            found = kind(disk)
            if found is None:
                holds = disk.get("fstype") or (f"a {disk['pttype']} partition table" if disk.get("pttype") else "something in use")
                raise fb.FirstbootError(f"data_disk {value} holds {holds} (label {disk.get('label') or 'none'}): "
                                        f"refusing to format it; wipe it (wipefs -a {value}) or choose an empty disk")
            return disk, found
    raise fb.FirstbootError(f"data_disk {value} is not a disk of this instance (lsblk lists "
                            f"{', '.join(disk['path'] for disk in devices) or 'none'})")


def unit_name(path):
    """The systemd mount unit name of `path` (systemd-escape --path)."""
    return fb.run_tool(["systemd-escape", "--path", "--suffix=mount", path], "naming a mount unit").strip()


def forget_nova_ephemeral(disk):
    """Unmount Nova's ephemeral filesystem (cloud-init mounts it at /mnt) and drop cloud-init's fstab line."""
    if disk.get("mountpoint"):
        fb.run_tool(["umount", disk["mountpoint"]], f"unmounting {disk['path']} from {disk['mountpoint']}")
    fstab = fb.path("/etc/fstab")
    with open(fstab, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    kept = [line for line in lines
            if not (line.split()[:1] and line.split()[0] in (disk["path"], f"LABEL={NOVA_EPHEMERAL_LABEL}",
                                                              f"UUID={disk.get('uuid')}")
                    and "cloudconfig" in line)]
    if kept != lines:
        fb.write_file("/etc/fstab", "\n".join(kept) + "\n")


def write_units(uuid, databases):
    """The data disk's mount unit, a bind mount unit per database folder, and drop-ins making each database
    unit require its folder; systemd reloaded and the mounts started."""
    data_unit = unit_name(MOUNT_POINT)
    fb.write_file(f"{UNIT_FOLDER}/{data_unit}", "\n".join([
        "# Written by dibkit-firstboot (10-data_disk): the data disk.", "[Unit]",
        "Description=dibkit data disk", "", "[Mount]", f"What=/dev/disk/by-uuid/{uuid}", f"Where={MOUNT_POINT}",
        "Type=ext4", "Options=defaults,noatime", "", "[Install]", "WantedBy=local-fs.target", ""]))
    enabled = [data_unit]
    for name in databases:
        folder, services = DATABASES[name]
        bind_unit = unit_name(folder)
        fb.write_file(f"{UNIT_FOLDER}/{bind_unit}", "\n".join([
            f"# Written by dibkit-firstboot (10-data_disk): {name}'s data directory on the data disk.", "[Unit]",
            f"Description=dibkit: {folder} on the data disk", f"Requires={data_unit}", f"After={data_unit}", "",
            "[Mount]", f"What={MOUNT_POINT}/{name}", f"Where={folder}", "Type=none", "Options=bind", "",
            "[Install]", "WantedBy=local-fs.target", ""]))
        enabled.append(bind_unit)
        for service in services:
            fb.write_file(f"{UNIT_FOLDER}/{service}.d/60-dibkit-data-disk.conf",
                          f"# Written by dibkit-firstboot (10-data_disk): the data lives on the data disk.\n"
                          f"[Unit]\nRequiresMountsFor={folder}\n")
    fb.systemctl("daemon-reload")
    for unit in enabled:
        fb.systemctl("enable", "--quiet", unit)
        fb.systemctl("start", unit)


def seed_folders(databases):
    """On the mounted disk, a folder per database holding a copy of the image's data directory (owner, mode and
    contents), unless it is there already."""
    for name in databases:
        source, target = fb.path(DATABASES[name][0]), fb.path(f"{MOUNT_POINT}/{name}")
        if os.path.isdir(target):
            continue
        if os.path.isdir(source):
            # cp -a: owners, modes, times, links, ACLs and extended attributes as they are.
            fb.run_tool(["cp", "-a", "--", source, target], f"copying {source} onto the data disk")
        else:
            os.makedirs(target, mode=0o755)


def main():
    """The `10-data_disk` hook; its exit status."""
    try:
        value = fb.read_value()
        if value is None:
            return 0
        value = check(value)
        databases = installed_databases()
        disk, found = choose(value, block_devices())
        if found == "ephemeral":
            forget_nova_ephemeral(disk)
        if found == "ours":
            fb.log(f"data disk {disk['path']} already holds {LABEL}: mounted as it is (not formatted)")
            os.makedirs(fb.path(os.path.dirname(REUSED_MARKER)), mode=0o700, exist_ok=True)
            fb.write_file(REUSED_MARKER, disk["path"] + "\n")
        else:
            fb.run_tool(["mkfs.ext4", "-q", "-F", "-L", LABEL, disk["path"]], f"formatting {disk['path']}")
            fb.log(f"data disk {disk['path']} formatted (ext4, label {LABEL})")
        uuid = fb.run_tool(["blkid", "-s", "UUID", "-o", "value", disk["path"]], f"reading {disk['path']}'s UUID").strip()
        os.makedirs(fb.path(MOUNT_POINT), mode=0o755, exist_ok=True)
        fb.run_tool(["mount", "-o", "noatime", disk["path"], fb.path(MOUNT_POINT)], f"mounting {disk['path']}")
        try:
            seed_folders(databases)
        finally:
            fb.run_tool(["umount", fb.path(MOUNT_POINT)], f"unmounting {disk['path']}")
        write_units(uuid, databases)
        fb.log(f"data disk {disk['path']} mounted at {MOUNT_POINT}: "
               + ", ".join(f"{DATABASES[name][0]} on it" for name in databases))
        return 0
    except fb.FirstbootError as error:
        fb.log(f"data_disk: error: {error}")
        return 1
