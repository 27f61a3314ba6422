"""What the MariaDB and MySQL first-boot hooks share: checks of their settings, the option file (address,
port, TLS, binary log and replica settings) and its check by the server, SQL for a database and its user, for
the replication user and for replicating from a primary, and a private server to run that SQL on before the real
one starts and to log in to with the passwords just set.

Names are checked strictly (no quote can be in them); passwords may hold any printable character and never
appear in SQL as text: they reach the server hex-encoded (or as hashes computed here) and the server quotes them."""

import hashlib
import os
import pwd
import re
import subprocess
import tempfile
import time

import dibkit_firstboot as fb
import dibkit_tls

DATA = "/var/lib/mysql"
USER = re.compile(r"[a-z_][a-z0-9_]{0,31}")
DATABASE = re.compile(r"[A-Za-z0-9_]{1,64}")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){LABEL}(\.{LABEL})*")
RESERVED_USERS = ("root", "mysql", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema")
RESERVED_DATABASES = ("mysql", "information_schema", "performance_schema", "sys")
REPLICA_FIELDS = ("host", "password", "port", "user")
LAST_SERVER_ID = 2 ** 32 - 1
# A replica that boots before its primary, or loses it, tries again every CONNECT_RETRY seconds, RETRY_COUNT
# times (about 11 days; MariaDB's own master_retry_count default, set explicitly for MySQL).
CONNECT_RETRY = 10
RETRY_COUNT = 100000
# The binary log and relay log by fixed names in the data folder: the servers' defaults follow the host name
# (the private server's, its pid file), which a new instance may change, and a replica's relay log info names
# the file the private server made.
RELAY_LOG = {"mariadb": "mariadb-relay-bin", "mysql": "relay-bin"}
LOGS = {"mariadb": [("log_bin", "mariadb-bin"), ("relay_log", RELAY_LOG["mariadb"]), ("binlog_format", "ROW"),
                    # A replica logs what it applies, so that once promoted the others can follow it by GTID.
                    ("log_slave_updates", "ON")],
        # MySQL logs row-based by default (binlog_format is deprecated since 8.0.34) and log_replica_updates is on
        # by default; GTIDs must be switched on (MariaDB always has them).
        "mysql": [("log_bin", "binlog"), ("relay_log", RELAY_LOG["mysql"]), ("gtid_mode", "ON"),
                  ("enforce_gtid_consistency", "ON")]}


def check_user(key, value):
    """`value` as an account name that is not root nor one of the server's own; `key` names it in the error."""
    if not isinstance(value, str) or not USER.fullmatch(value) or value in RESERVED_USERS:
        raise fb.FirstbootError(f"{key} {value!r} must be a lower-case name of letters, digits and '_' (at most "
                                f"32, not starting with a digit), other than root and the server's own accounts")
    return value


def checks(section):
    """Checks of every setting `section` (mariadb or mysql) shares: `bind_address`, `port`, `database`, `user`,
    `password`, `tls`, `allowed_networks`, `server_id`, `replication_user`, `replication_password` and
    `replica_of`. `check_together` checks them against each other."""
    def database(value):
        if not isinstance(value, str) or not DATABASE.fullmatch(value) or value.lower() in RESERVED_DATABASES:
            raise fb.FirstbootError(f"{section}.database {value!r} must be 1 to 64 letters, digits or '_', other "
                                    f"than {', '.join(RESERVED_DATABASES)}")
        return value

    def bind_address(value):
        text = str(value).strip()
        if text not in ("*", "::") and fb.ip_address(text) is None:
            raise fb.FirstbootError(f"{section}.bind_address {value!r} is not an IP address, '*' (all) or '::'")
        return text

    def server_id(value):
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= LAST_SERVER_ID:
            raise fb.FirstbootError(f"{section}.server_id {value!r} is not a server id (an integer from 1 to "
                                    f"{LAST_SERVER_ID}, different on every server); leave it out to derive one "
                                    f"from the instance id")
        return int(text)

    return {"bind_address": bind_address, "port": lambda value: fb.check_port(f"{section}.port", value),
            "database": database, "user": lambda value: check_user(f"{section}.user", value),
            "password": lambda value: fb.check_password(f"{section}.password", value),
            "tls": lambda value: dibkit_tls.check(f"{section}.tls", value),
            "allowed_networks": lambda value: fb.check_networks(f"{section}.allowed_networks", value),
            "server_id": server_id,
            "replication_user": lambda value: check_user(f"{section}.replication_user", value),
            "replication_password": lambda value: fb.check_password(f"{section}.replication_password", value),
            "replica_of": lambda value: check_replica_of(f"{section}.replica_of", value)}


def check_replica_of(key, value):
    """`value` of `replica_of` as {"host", "port", "user", "password"}: the primary and its replication user."""
    if not isinstance(value, dict):
        raise fb.FirstbootError(f"{key} must be a map {{host, port, user, password}}: the primary's address and "
                                f"its replication_user and replication_password")
    unknown = sorted(set(value) - set(REPLICA_FIELDS))
    if unknown:
        raise fb.FirstbootError(f"unknown {key} field(s) {', '.join(unknown)}; known: {', '.join(REPLICA_FIELDS)}")
    for field in ("host", "user", "password"):
        if value.get(field) is None:
            raise fb.FirstbootError(f"{key}.{field} is missing: give the primary's host (and port, default 3306), "
                                    f"and its replication_user and replication_password as user and password")
    host = value["host"]
    if not isinstance(host, str) or (fb.ip_address(host) is None and not HOST_NAME.fullmatch(host)):
        raise fb.FirstbootError(f"{key}.host {host!r} is not a host name or an IP address (the primary's)")
    return {"host": host, "port": fb.check_port(f"{key}.port", value.get("port", 3306)),
            "user": check_user(f"{key}.user", value["user"]),
            "password": fb.check_password(f"{key}.password", value["password"])}


def check_together(section, chosen):
    """Refuse settings that are each valid but do not go together."""
    if "replication_password" in chosen and "replication_user" not in chosen:
        raise fb.FirstbootError(f"{section}.replication_password is given without {section}.replication_user; "
                                f"name the replication user too")
    if chosen.get("replication_user") == chosen["user"]:
        raise fb.FirstbootError(f"{section}.replication_user {chosen['user']!r} is also {section}.user; give the "
                                f"replication user a name of its own")


def server_id(chosen):
    """`server_id` if given, else one derived from the instance id (`DIBKIT_INSTANCE_ID`, from the runner): a
    SHA-256 hash into 1..2^32-1, so every instance (primary or replica) has its own."""
    if "server_id" in chosen:
        return chosen["server_id"]
    instance = os.environ.get("DIBKIT_INSTANCE_ID")
    if not instance:
        raise fb.FirstbootError("DIBKIT_INSTANCE_ID is not set: run the hook through dibkit-firstboot, or give "
                                "server_id")
    return int.from_bytes(hashlib.sha256(instance.encode()).digest()[:8], "big") % LAST_SERVER_ID + 1


def tls_files(section, chosen):
    """The instance's TLS files (`dibkit_tls.install`: paths {"cert", "key", "ca"}) when `tls` is set, else
    None with any old instance's files removed."""
    if chosen.get("tls") is None:
        dibkit_tls.remove()
        return None
    return dibkit_tls.install(f"{section}.tls", chosen["tls"], "mysql")


def replication_password(section, chosen):
    """The replication user's password (given, or generated into the credentials as
    SECTION_REPLICATION_PASSWORD), or None with any old one removed when there is no replication user."""
    credential = f"{section.upper()}_REPLICATION_PASSWORD"
    if "replication_user" not in chosen:
        fb.set_credential(credential, None)
        return None
    return fb.password_for(credential, chosen.get("replication_password"))


def server_options(section, chosen, tls):
    """(name, value) of each `[mysqld]` option: address and port; a server id, the binary log and GTIDs on
    every instance, so that any replica can be promoted; with `tls` (paths from `tls_files`) the instance's
    key and certificate and no plaintext TCP (sockets stay allowed); on a replica, read_only.

    read_only keeps clients' writes off a replica (they would be transactions of its own, with GTIDs the
    primary lacks, that break a later failover); the replication applier is exempt. Not super_read_only
    (MySQL): root on these images is someone on the machine (unix_socket / auth_socket, or MariaDB's
    root_host), whose writes on a replica are deliberate (a repair, a promotion), and first boot meets
    neither: its private server runs with --no-defaults."""
    options = [("bind-address", chosen["bind_address"]), ("port", chosen["port"]),
               ("server_id", server_id(chosen)), *LOGS[section]]
    if tls:
        options += [("ssl_cert", tls["cert"]), ("ssl_key", tls["key"]), ("ssl_ca", tls["ca"]),
                    ("require_secure_transport", "ON")]
    if "replica_of" in chosen:
        options.append(("read_only", "ON"))
    return options


def option_file(section, options):
    """The `[mysqld]` option file with `options` (from `server_options`)."""
    return (f"# Written by dibkit-firstboot from user-data `dibkit: {{{section}: ...}}`.\n[mysqld]\n"
            + "".join(f"{name} = {value}\n" for name, value in options))


def check_option_file(server, path, options):
    """`server --defaults-file=path --print-defaults` (the server reading the option file as it will at start)
    gives exactly `options`, in order; else raise FirstbootError with what it said."""
    output = fb.run_tool([server, f"--defaults-file={fb.path(path)}", "--print-defaults"],
                         f"{server} --print-defaults (checking {path})")
    expected = [f"--{name}={value}" for name, value in options]
    given = output.strip().splitlines()[-1].split() if output.strip() else []
    if given != expected:
        raise fb.FirstbootError(f"{server} reads {path} as {' '.join(given) or 'nothing'}, not {' '.join(expected)}")


def account(user, host="%"):
    """`'user'@'host'` for SQL; both are checked names or host patterns, which no quote can be in."""
    return f"'{user}'@'{host}'"


def database_statements(chosen, set_password):
    """SQL making the database (utf8mb4) and its user from any host with all privileges on it, the user's
    password set by the statements `set_password`."""
    return [f"CREATE DATABASE IF NOT EXISTS `{chosen['database']}` CHARACTER SET utf8mb4;",
            f"CREATE USER IF NOT EXISTS {account(chosen['user'])};", *set_password,
            f"GRANT ALL PRIVILEGES ON `{chosen['database']}`.* TO {account(chosen['user'])};"]


def password_statements(target, password):
    """SQL giving the account `target` (`account()`) `password` (`statements_with_secret`)."""
    return statements_with_secret(f"ALTER USER {target} IDENTIFIED BY ", password)


def statements_with_secret(before, secret, after=""):
    """SQL running the statement `before` + `secret` as a string literal + `after` through the server's own
    quoting: the secret arrives hex-encoded, QUOTE() makes the literal (with backslash escapes, which the
    private server's default sql_mode reads), and a prepared statement runs it. The session's character set is
    utf8mb4, so the secret's bytes are the UTF-8 a client sends. `before` and `after` hold no backslash."""
    quoted_before, quoted_after = before.replace("'", "''"), after.replace("'", "''")
    return ["SET NAMES utf8mb4;",
            f"SET @dibkit_password = CONVERT(X'{secret.encode().hex()}' USING utf8mb4);",
            f"SET @dibkit_statement = CONCAT('{quoted_before}', QUOTE(@dibkit_password), '{quoted_after}');",
            "PREPARE dibkit_statement FROM @dibkit_statement;",
            "EXECUTE dibkit_statement;",
            "DEALLOCATE PREPARE dibkit_statement;",
            "SET @dibkit_password = NULL, @dibkit_statement = NULL;"]


def replication_user_statements(name, set_password, tls):
    """SQL making the replication user `name`@'%' (its password set by the statements `set_password`) with
    REPLICATION SLAVE only; with TLS it must connect over TLS (REQUIRE SSL), without it that is undone."""
    target = account(name)
    return [f"CREATE USER IF NOT EXISTS {target};", *set_password,
            f"ALTER USER {target} REQUIRE {'SSL' if tls else 'NONE'};",
            f"GRANT REPLICATION SLAVE ON *.* TO {target};"]


def replica_statements(section, chosen, tls):
    """SQL making this server replicate from the primary `replica_of` by GTID, run on the private server: its
    replica threads do not start there (see `PrivateServer`); the connection settings persist in the data
    folder and the real server starts the threads. RESET REPLICA ALL first, so nothing of an old instance's
    replication stays (the GTID position does). Without `replica_of`, only that reset: a new instance made from a
    replica's snapshot stops replicating.

    TLS: with `tls` (this instance's, paths from `tls_files`) the connection is TLS; the primary's certificate
    is verified (against ca.pem, and its host name) when this instance's `tls` gave a `ca`, else TLS is
    required without verification. Without `tls` the connection is plaintext (MySQL's caching_sha2_password
    then fetches the primary's RSA key for the password). The password reaches the server only hex-encoded."""
    lines = ["RESET REPLICA ALL;"]
    primary = chosen.get("replica_of")
    if primary is None:
        return lines
    verify = 1 if tls and "ca" in chosen["tls"] else 0
    if section == "mariadb":
        before = (f"CHANGE MASTER TO MASTER_HOST = '{primary['host']}', MASTER_PORT = {primary['port']}, "
                  f"MASTER_USER = '{primary['user']}', MASTER_PASSWORD = ")
        after = (f", MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = {CONNECT_RETRY}, "
                 f"MASTER_SSL = {1 if tls else 0}, MASTER_SSL_VERIFY_SERVER_CERT = {verify}")
        after += f", MASTER_SSL_CA = '{tls['ca']}'" if verify else ""
    else:
        before = (f"CHANGE REPLICATION SOURCE TO SOURCE_HOST = '{primary['host']}', SOURCE_PORT = {primary['port']}, "
                  f"SOURCE_USER = '{primary['user']}', SOURCE_PASSWORD = ")
        after = (f", SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = {CONNECT_RETRY}, "
                 f"SOURCE_RETRY_COUNT = {RETRY_COUNT}, GET_SOURCE_PUBLIC_KEY = 1, "
                 f"SOURCE_SSL = {1 if tls else 0}, SOURCE_SSL_VERIFY_SERVER_CERT = {verify}")
        after += f", SOURCE_SSL_CA = '{tls['ca']}'" if verify else ""
    return lines + statements_with_secret(before, primary["password"], after)


def set_up_replica(server, section, chosen, tls):
    """Run `replica_statements` on the private `server`, the primary's password hidden from any error."""
    primary = chosen.get("replica_of")
    server.query("\n".join(replica_statements(section, chosen, tls)) + "\n", "setting up replication",
                 hide=hidden_forms(primary["password"]) if primary else ())


def summary(chosen, tls, options):
    """What the log line of a hook adds about server id, TLS, networks and replication."""
    text = f", server id {dict(options)['server_id']}"
    text += ", TLS required" if tls else ""
    text += f", from {', '.join(chosen['allowed_networks'])}" if "allowed_networks" in chosen else ""
    text += f", replication user {chosen['replication_user']}" if "replication_user" in chosen else ""
    if "replica_of" in chosen:
        primary = chosen["replica_of"]
        text += f", replica of {primary['user']}@{primary['host']}:{primary['port']} (read-only)"
    return text


def hidden_forms(password):
    """The forms of `password` that SQL or a client's error may show: as it is and hex-encoded."""
    return [password, password.encode().hex()]


def option_value(text):
    """`text` as a double-quoted option-file value that the client library reads back exactly."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'") + '"'


class PrivateServer:
    """The server (`mariadbd` or `mysqld`) on the image's data folder as the mysql user, with no TCP listener
    and its socket in a fresh folder; root logs in over that socket by unix_socket / auth_socket. Use with
    `with`: the server is stopped (SIGTERM, its normal shutdown) and the folder removed on the way out.

    It writes no binary log (--skip-log-bin; MySQL logs by default): what first boot does (the database, the
    users, the root password) gets no GTID, so it is neither sent to replicas nor, on a replica, a transaction
    of its own that a later GTID failover would trip on. Every instance, replica or not, makes these itself.
    Its relay log has the real server's name (`RELAY_LOG` of `section`); `options` are the server's own further
    ones (keeping its replica threads from starting here)."""

    def __init__(self, server, client, admin, section, options):
        self.server, self.client_program, self.admin = server, client, admin
        self.options = [f"--relay-log={RELAY_LOG[section]}", *options]

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="dibkit-mysql-")
        self.socket = os.path.join(self.folder, "mysqld.sock")
        account = pwd.getpwnam("mysql")
        os.chown(self.folder, account.pw_uid, account.pw_gid)
        with open(os.path.join(self.folder, "output.log"), "w") as output:
            self.process = subprocess.Popen(
                [self.server, "--no-defaults", f"--datadir={fb.path(DATA)}", "--user=mysql", "--skip-networking",
                 f"--socket={self.socket}", f"--tmpdir={self.folder}",
                 f"--pid-file={os.path.join(self.folder, 'mysqld.pid')}",
                 f"--log-error={os.path.join(self.folder, 'error.log')}", "--skip-log-bin", *self.options],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.__exit__(None, None, None)
                raise fb.FirstbootError(f"the private {self.server} did not start: {tail}")
            time.sleep(0.5)
        return self

    def __exit__(self, *_):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        subprocess.run(["rm", "-rf", self.folder], check=False)

    def command(self, program):
        return [program, "--no-defaults", f"--socket={self.socket}", "--user=root"]

    def answers(self):
        return subprocess.run(self.command(self.admin) + ["--silent", "ping"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0

    def log_tail(self):
        text = ""
        for name in ("output.log", "error.log"):
            try:
                with open(os.path.join(self.folder, name), encoding="utf-8", errors="replace") as handle:
                    text += handle.read()
            except FileNotFoundError:
                pass
        return text.strip()[-1500:] or "(no output)"

    def query(self, sql, what, hide=()):
        """Run `sql` (on stdin, never on the command line) as root; the output rows, tab-separated."""
        return fb.run_tool(self.command(self.client_program) + ["--batch", "--skip-column-names"], what,
                           stdin=sql, hide=hide)

    def check_login(self, user, password, expected):
        """Log in as `user` with `password` over the private socket, as the mysql system user (so root's
        unix_socket login does not stand in for its password), the password in a private option file; the
        server must name the account `expected` (`user@host`). Raise FirstbootError otherwise."""
        account = pwd.getpwnam("mysql")
        options = os.path.join(self.folder, f"login-{user}.cnf")
        descriptor = os.open(options, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchown(descriptor, account.pw_uid, account.pw_gid)
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"[client]\npassword={option_value(password)}\n")
        try:
            output = fb.run_tool(
                ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups",
                 self.client_program, f"--defaults-file={options}", f"--socket={self.socket}", f"--user={user}",
                 "--batch", "--skip-column-names", "-e", "SELECT CURRENT_USER()"],
                f"logging in as {user} with the password just set", hide=hidden_forms(password))
        finally:
            os.unlink(options)
        if output.strip() != expected:
            raise fb.FirstbootError(f"logging in as {user} with the password just set gave account "
                                    f"{output.strip()!r}, not {expected!r}")
