"""Helpers shared by dibkit's first-boot runner and its hooks.

Every path goes through `path()`, so the runner and the hooks work on a tree standing for `/`
(`DIBKIT_ROOT`) in tests. `systemctl()` does nothing when `DIBKIT_NO_SYSTEMCTL=1`.
"""

import ipaddress
import json
import os
import secrets
import subprocess
import sys
import tempfile

CREDENTIALS = "/etc/dibkit/credentials"
FIREWALL = "/etc/nftables.d"
# /etc/dibkit: root's files (credentials, 0600) and, in tls/, what servers and clients read: others may pass
# through to named files but not list it.
FOLDER_MODE = 0o711


class FirstbootError(Exception):
    """A problem the user must fix: printed as one line, exit status 1."""


def root():
    """The directory standing for `/` (`DIBKIT_ROOT`, default `/`)."""
    return os.environ.get("DIBKIT_ROOT") or "/"


def path(absolute):
    """`absolute` (a path inside the image) under `root()`."""
    return os.path.join(root(), absolute.lstrip("/"))


def log(message):
    """One line on stdout (the unit sends it to the console and the journal). Never pass a secret."""
    print(f"dibkit-firstboot: {message}", flush=True)


def write_file(absolute, text, mode=0o644, group=None, owner=None):
    """Write `text` to `absolute` atomically with `mode` and optional group and owner ids; they are set
    before any byte is written, so a secret is never readable by others."""
    target = path(absolute)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".dibkit-")
    try:
        os.fchmod(fd, mode)
        if group is not None or owner is not None:
            os.fchown(fd, -1 if owner is None else owner, -1 if group is None else group)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def group_id(name):
    """The gid of group `name` in the root's /etc/group, or None."""
    return account_id("/etc/group", name)


def user_id(name):
    """The uid of user `name` in the root's /etc/passwd, or None."""
    return account_id("/etc/passwd", name)


def account_id(table, name):
    """The third field (the id) of `name`'s line in the root's `table` (/etc/passwd, /etc/group), or None."""
    try:
        with open(path(table), encoding="utf-8") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 3 and fields[0] == name:
                    return int(fields[2])
    except FileNotFoundError:
        return None
    return None


def read_credentials():
    """The KEY=value pairs of /etc/dibkit/credentials (empty when absent)."""
    values = {}
    try:
        with open(path(CREDENTIALS), encoding="utf-8") as handle:
            for line in handle:
                key, separator, value = line.rstrip("\n").partition("=")
                if separator and key:
                    values[key] = value
    except FileNotFoundError:
        pass
    return values


def set_credential(key, value):
    """Store (or with `value` None, remove) `key` in /etc/dibkit/credentials, root-only (0600, dir 0700)."""
    make_dibkit_folder()
    values = read_credentials()
    if value is None:
        values.pop(key, None)
    else:
        values[key] = value
    text = "".join(f"{name}={values[name]}\n" for name in sorted(values))
    write_file(CREDENTIALS, text, mode=0o600)


def make_dibkit_folder():
    """Make /etc/dibkit (root, FOLDER_MODE) if missing, and give an existing one that mode."""
    folder = path("/etc/dibkit")
    os.makedirs(folder, mode=FOLDER_MODE, exist_ok=True)
    os.chmod(folder, FOLDER_MODE)


def systemctl(*arguments):
    """Run `systemctl ARGUMENTS`, or only log it when `DIBKIT_NO_SYSTEMCTL=1` (tests, fake roots)."""
    if os.environ.get("DIBKIT_NO_SYSTEMCTL") == "1":
        log("would run: systemctl " + " ".join(arguments))
        return
    result = subprocess.run(["systemctl", *arguments], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise FirstbootError(f"systemctl {' '.join(arguments)} failed (exit {result.returncode}): "
                             f"{result.stdout.strip()}")


def read_section():
    """The hook's section: a JSON object on stdin."""
    text = sys.stdin.read()
    try:
        section = json.loads(text) if text.strip() else {}
    except ValueError as error:
        raise FirstbootError(f"the section on stdin is not JSON: {error}")
    if not isinstance(section, dict):
        raise FirstbootError(f"the section on stdin is {type(section).__name__}, expected a mapping")
    return section


def read_value():
    """The hook's single value (`data_disk`, `restore_from`): JSON on stdin; None when the user-data has none."""
    text = sys.stdin.read()
    try:
        return json.loads(text) if text.strip() else None
    except ValueError as error:
        raise FirstbootError(f"the value on stdin is not JSON: {error}")


def settings(name, section, checks, defaults):
    """The section's values over `defaults`, each passed through its check in `checks` (key → function
    returning the value to use or raising FirstbootError); a key without a check is an error."""
    unknown = sorted(set(section) - set(checks))
    if unknown:
        raise FirstbootError(f"unknown {name} setting(s) {', '.join(unknown)}; known: {', '.join(sorted(checks))}")
    merged = dict(defaults)
    merged.update({key: value for key, value in section.items() if value is not None})
    return {key: checks[key](value) for key, value in merged.items()}


def check_port(key, value):
    """`value` as a TCP port number; `key` (e.g. `redis.port`) names it in the error."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise FirstbootError(f"{key} {value!r} is not a TCP port (an integer from 1 to 65535)")
    return int(text)


def check_password(key, value):
    """`value` if it is a string of 8 to 512 printable characters: anything a password manager pastes (spaces,
    quotes, backslashes, `$`, `#`, letters beyond ASCII) but control characters (a trailing newline too) and
    separators other than the space. Every hook writes it quoted for its own syntax. The error never shows it."""
    if not isinstance(value, str):
        raise FirstbootError(f"{key} must be a string: quote it in the YAML (the value is not shown)")
    if not value.isprintable():
        raise FirstbootError(f"{key} holds a control character or another one that is not printable (a trailing "
                             f"newline from a YAML block scalar?); only printable characters are allowed "
                             f"(the value is not shown)")
    if not 8 <= len(value) <= 512:
        raise FirstbootError(f"{key} must be 8 to 512 characters (the value is not shown)")
    return value


def ip_address(text):
    """`text` as an `ipaddress` address, or None when it is not one. A scoped IPv6 address (`fe80::1%eth0`) is
    not one here: its zone may hold any character, quotes and `#` included."""
    try:
        return None if "%" in text else ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_network(text):
    """`text` as an `ipaddress` network in CIDR notation with no host bits set, or None (scoped ones too)."""
    try:
        return None if "%" in text else ipaddress.ip_network(text)
    except ValueError:
        return None


def password_for(credential, given):
    """The password to use: `given`, with any generated one under `credential` removed from the
    credentials file; or, when `given` is None, a new random one stored there (root only) and never printed."""
    if given is not None:
        set_credential(credential, None)
        return given
    secret = secrets.token_urlsafe(24)
    set_credential(credential, secret)
    log(f"generated a password into {CREDENTIALS} as {credential} (root only)")
    return secret


def check_networks(key, value):
    """`value` (CIDRs: a list, or text separated by commas or spaces) as a list of networks in CIDR notation;
    `key` (e.g. `redis.allowed_networks`) names it in the error."""
    entries = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(entries, list) or not entries:
        raise FirstbootError(f"{key} {value!r} must be networks in CIDR notation (e.g. 10.0.0.0/8), a list")
    parsed = []
    for entry in map(str, entries):
        network = ip_network(entry)
        if network is None:
            raise FirstbootError(f"{key} entry {entry!r} is not a network in CIDR notation with no host bits "
                                 f"set (e.g. 10.0.0.0/8, 192.168.1.7/32)")
        parsed.append(str(network))
    return parsed


def firewall_rules(name, ports, networks=None):
    """nftables lines accepting TCP `ports` (a port or a list) from `networks` (CIDRs; None: from anywhere)."""
    ports = [ports] if isinstance(ports, int) else list(ports)
    dport = str(ports[0]) if len(ports) == 1 else "{ " + ", ".join(map(str, ports)) + " }"
    comment = f'comment "{name}"'
    if networks is None:
        return [f"add rule inet filter input tcp dport {dport} accept {comment}"]
    lines = []
    for family, version in (("ip", 4), ("ip6", 6)):
        chosen = [network for network in networks if ipaddress.ip_network(network).version == version]
        if chosen:
            lines.append(f"add rule inet filter input {family} saddr {{ {', '.join(chosen)} }} "
                         f"tcp dport {dport} accept {comment}")
    return lines


def open_port(name, ports, networks=None):
    """Write /etc/nftables.d/NAME.nft accepting TCP `ports` (a port or a list) from `networks` (CIDRs; None:
    from anywhere; the firewall drops the rest) and reload the firewall."""
    scope = "from " + ", ".join(networks) if networks is not None else "from anywhere"
    text = f"# Written by dibkit-firstboot: the {name} port(s), {scope}.\n"
    write_file(f"{FIREWALL}/{name}.nft", text + "\n".join(firewall_rules(name, ports, networks)) + "\n")
    systemctl("reload-or-restart", "nftables.service")


def close_port(name):
    """Remove /etc/nftables.d/NAME.nft if there is one (and reload the firewall then)."""
    target = path(f"{FIREWALL}/{name}.nft")
    if os.path.exists(target):
        os.unlink(target)
        systemctl("reload-or-restart", "nftables.service")


def hidden(output, hide):
    """The last 1500 characters of a program's `output`, each non-empty string of `hide` blanked out."""
    for secret in hide:
        if secret:
            output = output.replace(secret, "(hidden)")
    return output.strip()[-1500:]


def run_tool(arguments, what, stdin=None, env=None, hide=()):
    """Run a program to completion with `stdin`; raise FirstbootError naming `what` with the end of its
    output, each string of `hide` blanked out, when it fails. Callers pass no secret on the command line."""
    try:
        result = subprocess.run(arguments, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                encoding="utf-8", errors="replace", env=env)
    except OSError as error:
        raise FirstbootError(f"{what}: cannot run {arguments[0]}: {error}")
    if result.returncode != 0:
        raise FirstbootError(f"{what} failed (exit {result.returncode}): {hidden(result.stdout, hide)}")
    return result.stdout
