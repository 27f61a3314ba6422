"""Helpers shared by dibkit's first-boot runner and its hooks.

Every path goes through `path()`, so the runner and the hooks work on a tree standing for `/`
(`DIBKIT_ROOT`) in tests. `systemctl()` does nothing when `DIBKIT_NO_SYSTEMCTL=1`.
"""

import json
import os
import subprocess
import sys
import tempfile

CREDENTIALS = "/etc/dibkit/credentials"


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


def write_file(absolute, text, mode=0o644, group=None):
    """Write `text` to `absolute` atomically with `mode` and optional group id; the mode is set
    before any byte is written, so a secret is never readable by others."""
    target = path(absolute)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".dibkit-")
    try:
        os.fchmod(fd, mode)
        if group is not None:
            os.fchown(fd, -1, group)
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
    try:
        with open(path("/etc/group"), encoding="utf-8") as handle:
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
    os.makedirs(path("/etc/dibkit"), mode=0o700, exist_ok=True)
    values = read_credentials()
    if value is None:
        values.pop(key, None)
    else:
        values[key] = value
    text = "".join(f"{name}={values[name]}\n" for name in sorted(values))
    write_file(CREDENTIALS, text, mode=0o600)


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
