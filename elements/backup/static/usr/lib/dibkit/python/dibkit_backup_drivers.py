"""How each database is copied out consistently and put back, with its own tools.

- Redis / Valkey: `BGSAVE` over the server's unix socket, then the RDB file it wrote; restored as the server's
  dump.rdb while it is stopped (it loads it when it starts).
- PostgreSQL: `pg_basebackup -F tar -X fetch` (the cluster's files and the WAL to make them consistent, as one
  tar); restored as the cluster's data directory, which recovers from it when it starts.
- MariaDB: `mariadb-backup --backup --stream=xbstream` (hot, InnoDB-consistent); restored with `mbstream -x`,
  `mariadb-backup --prepare` and `--move-back` into the emptied data directory.

`dump()` is a context manager giving (readable binary stream, finish) where finish() raises when the
producer failed; `restore(source, running)` reads a dump from the binary stream `source`.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

import dibkit_backup as backup
import dibkit_datadisk as datadisk
import dibkit_firstboot as fb

BGSAVE_TIMEOUT = 3600


def database():
    """The database of this image that has a driver; raises when there is none."""
    installed = datadisk.installed_databases()
    for name in installed:
        if name in DRIVERS:
            return name
    raise fb.FirstbootError(f"backup: this image's database ({', '.join(installed) or 'none'}) has no backup "
                            f"driver; dibkit backs up {', '.join(sorted(DRIVERS))}")


def driver(name):
    return DRIVERS[name](name)


def restore_snapshot(restic, database, snapshot, running):
    """Stream snapshot `snapshot` out of restic (`restic dump`) into `database`'s driver; `running`: the server
    is up and is stopped for the restore, then started again."""
    chosen = driver(database)
    with producer(restic.arguments("dump", snapshot, "/" + chosen.filename), "reading the backup (restic dump)",
                  env=restic.environment()) as (stream, finish):
        chosen.restore(stream, running)
        finish()


def tail_of(handle):
    handle.seek(0)
    return handle.read().decode(errors="replace").strip()[-800:]


@contextlib.contextmanager
def producer(arguments, what, **options):
    """Run `arguments` writing the dump on its stdout; yields (stdout, finish)."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL,
                                   **options)

        def finish():
            process.stdout.close()
            if process.wait() != 0:
                raise backup.BackupError(f"{what} failed (exit {process.returncode}): {tail_of(errors)}")

        try:
            yield process.stdout, finish
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def consume(arguments, source, what, **options):
    """Run `arguments` reading the dump from `source` on stdin; raise with what it said when it fails."""
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run(arguments, stdin=source, stdout=errors, stderr=subprocess.STDOUT, **options)
        if result.returncode != 0:
            raise backup.BackupError(f"{what} failed (exit {result.returncode}): {tail_of(errors)}")


def chown_tree(top, user):
    uid, gid = fb.user_id(user), fb.group_id(user)
    if uid is None or gid is None:
        raise backup.BackupError(f"user {user} is missing from /etc/passwd")
    for folder, folders, files in os.walk(top):
        os.lchown(folder, uid, gid)
        for name in folders + files:
            os.lchown(os.path.join(folder, name), uid, gid)


class RedisDriver:
    """Redis or Valkey (`name`): an RDB from BGSAVE."""
    filename = "dump.rdb"

    def __init__(self, name):
        self.name = name
        self.service = f"{name}-server.service"
        self.socket = f"/run/{name}/{name}-server.sock"

    def password(self):
        """requirepass from /etc/NAME/dibkit.conf, unquoted (the first-boot hook wrote it quoted)."""
        with open(fb.path(f"/etc/{self.name}/dibkit.conf"), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("requirepass "):
                    return unquoted(line[len("requirepass "):].strip())
        return None

    @contextlib.contextmanager
    def dump(self):
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(60)
            try:
                connection.connect(self.socket)
            except OSError as error:
                raise backup.BackupError(f"{self.name}-server does not answer on {self.socket}: {error}")
            reader = connection.makefile("rb")

            def command(*words):
                encoded = [word.encode() for word in words]
                connection.sendall(b"*%d\r\n" % len(encoded)
                                   + b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in encoded))
                return read_reply(reader)

            secret = self.password()
            if secret is not None:
                command("AUTH", secret)
            before = info(command("INFO", "persistence"))
            # Redis 7+ counts its saves; before, the last save's time (seconds) tells a new one.
            counter = "rdb_saves" if "rdb_saves" in before else "rdb_last_save_time"
            saves = int(before.get(counter, "0"))
            try:
                command("BGSAVE")
            except backup.BackupError as error:
                if "in progress" not in str(error):
                    raise
            deadline = time.monotonic() + BGSAVE_TIMEOUT
            while True:
                now = info(command("INFO", "persistence"))
                if now.get("rdb_bgsave_in_progress") == "0" and int(now.get(counter, "0")) > saves:
                    break
                if time.monotonic() > deadline:
                    raise backup.BackupError(f"{self.name}-server's BGSAVE did not finish in {BGSAVE_TIMEOUT} s")
                time.sleep(0.2)
            if now.get("rdb_last_bgsave_status") != "ok":
                raise backup.BackupError(f"{self.name}-server's BGSAVE failed (see its log: journalctl -u {self.service})")
            folder = command("CONFIG", "GET", "dir")[1]
            name = command("CONFIG", "GET", "dbfilename")[1]
        with open(os.path.join(folder, name), "rb") as handle:
            yield handle, lambda: None

    def restore(self, source, running):
        folder = fb.path(f"/var/lib/{self.name}")
        if running:
            fb.systemctl("stop", self.service)
        owner, group = fb.user_id(self.name), fb.group_id(self.name)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".dibkit-restore-")
        try:
            os.fchown(fd, owner, group)
            os.fchmod(fd, 0o660)
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(source, handle, 1 << 20)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, os.path.join(folder, self.filename))
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        if running:
            fb.systemctl("start", self.service)


def read_reply(reader):
    """One RESP reply: text, an integer, a list, or None; an error reply raises BackupError."""
    line = reader.readline().rstrip(b"\r\n")
    if not line:
        raise backup.BackupError("the server closed the connection")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise backup.BackupError(f"the server said: {rest.decode(errors='replace')}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        return [read_reply(reader) for _ in range(int(rest))]
    raise backup.BackupError(f"unexpected reply {line[:40]!r}")


def info(text):
    """INFO's `key:value` lines as a dict."""
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def unquoted(text):
    """A redis.conf double-quoted string (as dibkit_redis.quoted writes it) back to its text."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body, out, index = text[1:-1], bytearray(), 0
    while index < len(body):
        character = body[index]
        if character == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if following == "x" and index + 3 < len(body):
                out.append(int(body[index + 2:index + 4], 16))
                index += 4
                continue
            out.extend({"n": b"\n", "r": b"\r", "t": b"\t"}.get(following, following.encode()))
            index += 2
            continue
        out.extend(character.encode())
        index += 1
    return out.decode()


class PostgreSQLDriver:
    """The image's PostgreSQL cluster: pg_basebackup as one tar."""
    filename = "postgresql.tar"

    def __init__(self, name):
        self.name = name

    def cluster(self):
        """(version, cluster, port, data directory) of the image's one cluster (pg_lsclusters)."""
        output = fb.run_tool(["pg_lsclusters", "--no-header"], "listing the PostgreSQL clusters")
        for line in output.splitlines():
            fields = line.split()
            if len(fields) >= 6:
                return fields[0], fields[1], fields[2], fields[5]
        raise backup.BackupError("pg_lsclusters lists no PostgreSQL cluster")

    def dump(self):
        _, _, port, _ = self.cluster()
        return producer(["runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "/var/run/postgresql",
                         "-p", port, "-D", "-", "-F", "tar", "-X", "fetch", "--checkpoint=fast", "-w"],
                        "pg_basebackup", cwd="/")

    def restore(self, source, running):
        version, cluster, _, data = self.cluster()
        service = f"postgresql@{version}-{cluster}.service"
        if running:
            fb.systemctl("stop", service)
        aside = data + ".dibkit-before-restore"
        if os.path.exists(aside):
            shutil.rmtree(aside)
        os.rename(data, aside)
        try:
            os.mkdir(data, 0o700)
            chown_tree(data, "postgres")
            consume(["runuser", "-u", "postgres", "--", "tar", "-x", "-C", data], source, "unpacking the base backup",
                    cwd="/")
        except BaseException:
            shutil.rmtree(data, ignore_errors=True)
            os.rename(aside, data)
            raise
        shutil.rmtree(aside)
        if running:
            fb.systemctl("start", service)


class MariaDBDriver:
    """MariaDB: mariadb-backup's xbstream."""
    filename = "mariadb.xbstream"
    data = "/var/lib/mysql"
    service = "mariadb.service"

    def __init__(self, name):
        self.name = name

    @contextlib.contextmanager
    def dump(self):
        work = tempfile.mkdtemp(prefix="dibkit-mariadb-backup-", dir="/var/tmp")
        try:
            with producer(["mariadb-backup", "--backup", "--stream=xbstream", f"--target-dir={work}", "--user=root"],
                          "mariadb-backup --backup", cwd=work) as (stream, finish):
                yield stream, finish
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def work_parent(self):
        """A folder on the data directory's filesystem, so --move-back renames."""
        if os.path.ismount(self.data) and os.path.ismount(datadisk.MOUNT_POINT):
            return datadisk.MOUNT_POINT
        return os.path.dirname(self.data)

    def restore(self, source, running):
        work = tempfile.mkdtemp(prefix=".dibkit-restore-mariadb-", dir=self.work_parent())
        try:
            consume(["mbstream", "-x", "-C", work], source, "unpacking the backup (mbstream)")
            consume(["mariadb-backup", "--prepare", f"--target-dir={work}"], subprocess.DEVNULL,
                    "mariadb-backup --prepare")
            if running:
                fb.systemctl("stop", self.service)
            for name in os.listdir(self.data):
                entry = os.path.join(self.data, name)
                if os.path.isdir(entry) and not os.path.islink(entry):
                    shutil.rmtree(entry)
                else:
                    os.unlink(entry)
            consume(["mariadb-backup", "--move-back", f"--target-dir={work}", f"--datadir={self.data}"],
                    subprocess.DEVNULL, "mariadb-backup --move-back")
            chown_tree(self.data, "mysql")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if running:
            fb.systemctl("start", self.service)


DRIVERS = {"redis": RedisDriver, "valkey": RedisDriver, "postgresql": PostgreSQLDriver, "mariadb": MariaDBDriver}
