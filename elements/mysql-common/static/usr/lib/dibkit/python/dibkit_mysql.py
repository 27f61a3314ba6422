"""What the MariaDB and MySQL first-boot hooks share: checks of their settings, SQL for a database and its
user, a check of the option file by the server, and a private server to run that SQL on before the real one
starts and to log in to with the passwords just set.

Names are checked strictly (no quote can be in them); passwords may hold any printable character and never
appear in SQL as text: they reach the server hex-encoded (or as hashes computed here) and the server quotes them."""

import os
import pwd
import re
import subprocess
import tempfile
import time

import dibkit_firstboot as fb

DATA = "/var/lib/mysql"
USER = re.compile(r"[a-z_][a-z0-9_]{0,31}")
DATABASE = re.compile(r"[A-Za-z0-9_]{1,64}")
RESERVED_USERS = ("root", "mysql", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema")
RESERVED_DATABASES = ("mysql", "information_schema", "performance_schema", "sys")


def checks(section):
    """Checks of `bind_address`, `port`, `database`, `user` and `password` for `section`."""
    def user(value):
        if not isinstance(value, str) or not USER.fullmatch(value) or value in RESERVED_USERS:
            raise fb.FirstbootError(f"{section}.user {value!r} must be a lower-case name of letters, digits and "
                                    f"'_' (at most 32, not starting with a digit), other than root and the "
                                    f"server's own accounts")
        return value

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

    return {"bind_address": bind_address, "port": lambda value: fb.check_port(f"{section}.port", value),
            "database": database, "user": user,
            "password": lambda value: fb.check_password(f"{section}.password", value)}


def option_file(section, chosen):
    """The `[mysqld]` option file for bind-address and port."""
    return (f"# Written by dibkit-firstboot from user-data `dibkit: {{{section}: ...}}`.\n"
            f"[mysqld]\nbind-address = {chosen['bind_address']}\nport = {chosen['port']}\n")


def check_option_file(server, path, chosen):
    """`server --defaults-file=path --print-defaults` (the server reading the option file as it will at start)
    gives the bind-address and port written; else raise FirstbootError with what it said."""
    output = fb.run_tool([server, f"--defaults-file={fb.path(path)}", "--print-defaults"],
                         f"{server} --print-defaults (checking {path})")
    expected = [f"--bind-address={chosen['bind_address']}", f"--port={chosen['port']}"]
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
    """SQL giving the account `target` (`account()`) `password` through the server's own quoting: the password
    arrives hex-encoded, QUOTE() makes the literal (with backslash escapes, which the private server's default
    sql_mode reads), and a prepared statement runs `ALTER USER … IDENTIFIED BY` with it. The session's character
    set is utf8mb4, so the password's bytes are the UTF-8 a client sends."""
    quoted_target = target.replace("'", "''")
    return ["SET NAMES utf8mb4;",
            f"SET @dibkit_password = CONVERT(X'{password.encode().hex()}' USING utf8mb4);",
            f"SET @dibkit_statement = CONCAT('ALTER USER {quoted_target} IDENTIFIED BY ', QUOTE(@dibkit_password));",
            "PREPARE dibkit_statement FROM @dibkit_statement;",
            "EXECUTE dibkit_statement;",
            "DEALLOCATE PREPARE dibkit_statement;",
            "SET @dibkit_password = NULL, @dibkit_statement = NULL;"]


def hidden_forms(password):
    """The forms of `password` that SQL or a client's error may show: as it is and hex-encoded."""
    return [password, password.encode().hex()]


def option_value(text):
    """`text` as a double-quoted option-file value that the client library reads back exactly."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'") + '"'


class PrivateServer:
    """The server (`mariadbd` or `mysqld`) on the image's data folder as the mysql user, with no TCP listener
    and its socket in a fresh folder; root logs in over that socket by unix_socket / auth_socket. Use with
    `with`: the server is stopped (SIGTERM, its normal shutdown) and the folder removed on the way out."""

    def __init__(self, server, client, admin):
        self.server, self.client_program, self.admin = server, client, admin

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
                 f"--log-error={os.path.join(self.folder, 'error.log')}"],
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
