"""What the Redis and Valkey first-boot hooks share: `main(name)` applies `dibkit: {NAME: {...}}` from the
user-data to the server `NAME-server` (Valkey is Redis's fork and keeps its configuration language, its RESP
protocol and Debian's layout of it under its own name: /etc/NAME, group NAME, unit NAME-server.service).

Reads the section as JSON on stdin; checks the settings with the server itself (started on them privately:
no TCP, a unix socket in a fresh folder, AUTH with the password), then writes /etc/NAME/dibkit.conf (0640
root:NAME, included by NAME.conf) and /etc/nftables.d/NAME.nft, reloads nftables and restarts the server if
it is running. A configuration the server refuses fails the hook and leaves the old file. Without a password
it generates one into /etc/dibkit/credentials (NAME_PASSWORD=, e.g. REDIS_PASSWORD) and never prints it.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import dibkit_firstboot as fb

DEFAULTS = {"port": 6379, "bind": "* -::*"}
POLICIES = ("volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
            "volatile-random", "allkeys-random", "volatile-ttl", "noeviction")
MEMORY = re.compile(r"[0-9]+(b|k|kb|m|mb|g|gb)?", re.IGNORECASE)


def checks(name):
    """Checks of `port`, `password`, `maxmemory`, `maxmemory_policy` and `bind` for section `name`."""
    def maxmemory(value):
        text = str(value).strip()
        if isinstance(value, bool) or not MEMORY.fullmatch(text):
            raise fb.FirstbootError(f"{name}.maxmemory {value!r} is not a size (bytes, or a number with "
                                    f"k, kb, m, mb, g or gb, e.g. 256mb)")
        return text.lower()

    def policy(value):
        if value not in POLICIES:
            raise fb.FirstbootError(f"{name}.maxmemory_policy {value!r} is not one of {', '.join(POLICIES)}")
        return value

    def bind(value):
        addresses = value.split() if isinstance(value, str) else value
        if not isinstance(addresses, list) or not addresses:
            raise fb.FirstbootError(f"{name}.bind {value!r} must be addresses separated by spaces, or a list")
        for address in addresses:
            plain = str(address)[1:] if str(address).startswith("-") else str(address)
            if plain not in ("*", "::*") and fb.ip_address(plain) is None:
                raise fb.FirstbootError(f"{name}.bind address {address!r} is not an IP address, '*' or '::*' "
                                        f"(a leading '-' marks it optional)")
        return " ".join(str(address) for address in addresses)

    return {"port": lambda value: fb.check_port(f"{name}.port", value),
            "password": lambda value: fb.check_password(f"{name}.password", value),
            "maxmemory": maxmemory, "maxmemory_policy": policy, "bind": bind}


def quoted(text):
    """`text` as a redis.conf (or valkey.conf) double-quoted string that the server reads back exactly: `\\`
    and `"` escaped, every byte outside printable ASCII written `\\xHH` (the escapes of Redis's sdssplitargs)."""
    out = []
    for character in text:
        if character in '\\"':
            out.append("\\" + character)
        elif " " <= character <= "~":
            out.append(character)
        else:
            out.extend(f"\\x{byte:02x}" for byte in character.encode())
    return '"' + "".join(out) + '"'


def check_configuration(name, text, password):
    """Start NAME-server on `text` privately (port 0: no TCP; a unix socket in a fresh root-only folder; no
    persistence) and AUTH with `password` over the socket: the server itself reads the file and takes the
    password. Raise FirstbootError with what it said (its echo of a configuration line left out) when it does not."""
    server_name = f"{name}-server"
    program = shutil.which(server_name)
    if program is None:
        raise fb.FirstbootError(f"{server_name} is not on PATH; cannot check the configuration")
    with tempfile.TemporaryDirectory(prefix=f"dibkit-{name}-") as folder:
        config, sock = os.path.join(folder, "dibkit.conf"), os.path.join(folder, f"{name}.sock")
        with open(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
            handle.write(text)
        with open(os.path.join(folder, "output.log"), "w+", encoding="utf-8", errors="replace") as output:
            server = subprocess.Popen([program, config, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
                                       "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                      stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
            try:
                reply = authenticate(server_name, server, sock, password)
            finally:
                if server.poll() is None:
                    server.kill()  # nothing to keep; SIGTERM may be blocked by whoever started first boot
                server.wait()
            if reply is None:
                output.seek(0)
                said = "\n".join(line for line in output.read().splitlines() if not line.startswith(">>>"))
                raise fb.FirstbootError(f"{server_name} refused the configuration (exit {server.returncode}): "
                                        f"{fb.hidden(said, [password, quoted(password)[1:-1]])}")
    if reply != b"+OK":
        raise fb.FirstbootError(f"{server_name} read the configuration but refused its password: "
                                f"{reply.decode(errors='replace')}")


def authenticate(server_name, server, path, password, seconds=60):
    """The first line of the reply of `server` (the process of `server_name`) to `AUTH password` on the unix
    socket `path`, once it listens there; None when it exits first."""
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(10)
                client.connect(path)
                secret = password.encode()
                client.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret))
                return client.makefile("rb").readline().rstrip(b"\r\n")
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(0.05)
    if server.poll() is None:
        raise fb.FirstbootError(f"{server_name} did not listen on its private socket within {seconds} s")
    return None


def main(name):
    """Apply section `name` (`redis` or `valkey`) of the user-data to NAME-server; the hook's exit status."""
    try:
        chosen = fb.settings(name, fb.read_section(), checks(name), DEFAULTS)
        secret = fb.password_for(f"{name.upper()}_PASSWORD", chosen.get("password"))
        lines = [f"# Written by dibkit-firstboot (50-{name}) from user-data `dibkit: {{{name}: ...}}`.",
                 f"bind {chosen['bind']}",
                 f"port {chosen['port']}",
                 f"requirepass {quoted(secret)}"]
        if "maxmemory" in chosen:
            lines.append(f"maxmemory {chosen['maxmemory']}")
        if "maxmemory_policy" in chosen:
            lines.append(f"maxmemory-policy {chosen['maxmemory_policy']}")
        group = fb.group_id(name)
        if group is None:
            raise fb.FirstbootError(f"group {name} is missing from /etc/group; is {name}-server installed?")
        text = "\n".join(lines) + "\n"
        check_configuration(name, text, secret)
        fb.write_file(f"/etc/{name}/dibkit.conf", text, mode=0o640, group=group)
        fb.open_port(name, chosen["port"])
        fb.systemctl("try-restart", f"{name}-server.service")
        fb.log(f"{name}: port {chosen['port']}, bind {chosen['bind']}")
        return 0
    except fb.FirstbootError as error:
        fb.log(f"{name}: error: {error}")
        return 1
