"""Backups of the image's database with restic: the settings (`dibkit: {backup: {...}}`), the repository and
the runs.

`backup: {schedule, keep, s3: {endpoint, bucket, prefix, region, access_key, secret_key, path_style}}` (or
`local: PATH` in place of `s3`; optional `encryption_key`) is checked at first boot and kept in
/etc/dibkit/backup.json (root, 0600): the only place holding the credentials and the repository's key, given
to restic through its environment, never its command line. restic encrypts everything it stores (AES-256) with
that key: `encryption_key`, or one derived from the S3 secret key (so a new instance with the same user-data
reads the repository), or for `local` one generated into /etc/dibkit/credentials as BACKUP_ENCRYPTION_KEY.

Each run streams the database's own consistent copy (dibkit_backup_drivers) into `restic backup --stdin`,
tagged `dibkit-<database>`, then keeps the newest `keep` snapshots of that tag (`forget --group-by tags
--prune`). A run's outcome goes to /var/lib/dibkit/backup/last-run.json, which `dibkit-backup status` reads.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

import dibkit_firstboot as fb

CONFIG = "/etc/dibkit/backup.json"
STATE = "/var/lib/dibkit/backup"
LAST_RUN = f"{STATE}/last-run.json"
CACHE = "/var/cache/dibkit/restic"
TIMER_DROP_IN = "/etc/systemd/system/dibkit-backup.timer.d/50-schedule.conf"
DEFAULTS = {"schedule": "daily", "keep": 7}
S3_DEFAULTS = {"prefix": "dibkit", "region": "us-east-1", "path_style": False}
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
PREFIX = re.compile(r"[A-Za-z0-9._/-]{1,200}")
SNAPSHOT = re.compile(r"latest|[0-9a-f]{8,64}")


class BackupError(fb.FirstbootError):
    """A backup, restore or listing that failed: one line, exit status 1."""


def check_schedule(value):
    """`value` as a systemd OnCalendar expression (`daily`, `*-*-* 03:00`, `hourly`…), checked by systemd."""
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise fb.FirstbootError(f"backup.schedule {value!r} must be a systemd OnCalendar expression, e.g. daily "
                                f"or \"*-*-* 03:00\"")
    result = subprocess.run(["systemd-analyze", "calendar", value], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        said = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else f"exit {result.returncode}"
        raise fb.FirstbootError(f"backup.schedule {value!r} is not a systemd OnCalendar expression ({said}); "
                                f"e.g. daily, hourly or \"*-*-* 03:00\"")
    return value.strip()


def check_keep(value):
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(value) <= 10000:
        raise fb.FirstbootError(f"backup.keep {value!r} must be an integer from 1 to 10000 (the newest backups kept)")
    return int(value)


def check_s3(value):
    """The `s3` map, checked, over S3_DEFAULTS."""
    if not isinstance(value, dict):
        raise fb.FirstbootError("backup.s3 must be a map {endpoint, bucket, prefix, region, access_key, secret_key, "
                                "path_style}")

    def endpoint(text):
        parsed = urllib.parse.urlparse(str(text))
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/") \
                or parsed.query or parsed.username:
            raise fb.FirstbootError(f"backup.s3.endpoint {text!r} must be an http(s) URL of the S3 service with no "
                                    f"path, e.g. https://s3.eu-west-1.example.com or http://10.0.2.2:9000")
        return f"{parsed.scheme}://{parsed.netloc}"

    def bucket(text):
        if not isinstance(text, str) or not BUCKET.fullmatch(text):
            raise fb.FirstbootError(f"backup.s3.bucket {text!r} is not an S3 bucket name (3-63 lower-case letters, "
                                    f"digits, '.' and '-')")
        return text

    def prefix(text):
        if not isinstance(text, str) or not PREFIX.fullmatch(text.strip("/")) or ".." in text:
            raise fb.FirstbootError(f"backup.s3.prefix {text!r} must be a key prefix of letters, digits, '.', '_', "
                                    f"'-' and '/'")
        return text.strip("/")

    def region(text):
        if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", text):
            raise fb.FirstbootError(f"backup.s3.region {text!r} must be a region name such as us-east-1")
        return text

    def secret(field):
        def check(text):
            if not isinstance(text, str) or not text or not text.isprintable() or len(text) > 256:
                raise fb.FirstbootError(f"backup.s3.{field} must be a string of printable characters "
                                        f"(the value is not shown)")
            return text
        return check

    def flag(value):
        if not isinstance(value, bool):
            raise fb.FirstbootError(f"backup.s3.path_style {value!r} must be true or false")
        return value

    checks = {"endpoint": endpoint, "bucket": bucket, "prefix": prefix, "region": region,
              "access_key": secret("access_key"), "secret_key": secret("secret_key"), "path_style": flag}
    chosen = fb.settings("backup.s3", value, checks, S3_DEFAULTS)
    missing = [key for key in ("endpoint", "bucket", "access_key", "secret_key") if key not in chosen]
    if missing:
        raise fb.FirstbootError(f"backup.s3 needs {', '.join(missing)}")
    return chosen


def check_local(value):
    if not isinstance(value, str) or not value.startswith("/") or ".." in value or len(value) > 512:
        raise fb.FirstbootError(f"backup.local {value!r} must be an absolute path (a mounted share or disk)")
    return value.rstrip("/") or "/"


CHECKS = {"schedule": check_schedule, "keep": check_keep, "s3": check_s3, "local": check_local,
          "encryption_key": lambda value: fb.check_password("backup.encryption_key", value)}


def settings(section):
    """The `backup` section, checked; exactly one of `s3` and `local`."""
    chosen = fb.settings("backup", section, CHECKS, DEFAULTS)
    if ("s3" in chosen) == ("local" in chosen):
        raise fb.FirstbootError("backup needs exactly one place to keep the backups: `s3: {endpoint, bucket, "
                                "access_key, secret_key, ...}` or `local: PATH`")
    return chosen


def derived_key(s3):
    """A repository key derived from the S3 secret key, bucket and prefix: the same user-data on a new instance
    opens the same repository, and the storage never sees it."""
    message = f"dibkit-backup restic repository s3 {s3['bucket']}/{s3['prefix']}".encode()
    return hmac.new(s3["secret_key"].encode(), message, hashlib.sha256).hexdigest()


def stored_configuration(chosen, database):
    """What /etc/dibkit/backup.json holds: restic's repository, options and environment, the key and `keep`."""
    if "s3" in chosen:
        s3 = chosen["s3"]
        repository = f"s3:{s3['endpoint']}/{s3['bucket']}/{s3['prefix']}"
        options = [f"s3.region={s3['region']}", f"s3.bucket-lookup={'path' if s3['path_style'] else 'auto'}"]
        environment = {"AWS_ACCESS_KEY_ID": s3["access_key"], "AWS_SECRET_ACCESS_KEY": s3["secret_key"],
                       "AWS_DEFAULT_REGION": s3["region"]}
        key = chosen.get("encryption_key") or derived_key(s3)
        fb.set_credential("BACKUP_ENCRYPTION_KEY", None)
    else:
        repository, options, environment = chosen["local"], [], {}
        key = chosen.get("encryption_key") or fb.read_credentials().get("BACKUP_ENCRYPTION_KEY")
        key = fb.password_for("BACKUP_ENCRYPTION_KEY", None) if key is None else key
    return {"database": database, "repository": repository, "options": options, "environment": environment,
            "key": key, "keep": chosen["keep"], "schedule": chosen["schedule"]}


def load():
    """The stored configuration; raises when backups are not set up on this instance."""
    try:
        with open(fb.path(CONFIG), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise BackupError(f"backups are not set up on this instance ({CONFIG} is missing): give the user-data "
                          f"`dibkit: {{backup: {{s3: {{...}}}}}}` (see docs/elements.md)")


class Restic:
    """restic on the stored repository: the key and credentials in its environment only."""

    def __init__(self, configuration):
        self.configuration = configuration
        self.tag = f"dibkit-{configuration['database']}"

    def environment(self):
        environment = dict(os.environ)
        environment.update(self.configuration["environment"])
        environment.update(RESTIC_REPOSITORY=self.configuration["repository"],
                           RESTIC_PASSWORD=self.configuration["key"], RESTIC_CACHE_DIR=CACHE,
                           RESTIC_PROGRESS_FPS="0.016")
        return environment

    def arguments(self, *arguments):
        options = [item for option in self.configuration["options"] for item in ("-o", option)]
        return ["restic", *options, *arguments]

    def run(self, *arguments, what, stdin=None):
        """Run restic to completion; its standard output. Raises BackupError with the end of what it said."""
        result = subprocess.run(self.arguments(*arguments), stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.environment())
        if result.returncode != 0:
            said = fb.hidden(result.stderr.decode(errors="replace"), [self.configuration["key"]])
            raise BackupError(f"{what} failed (restic exit {result.returncode}): {said[-600:]}")
        return result.stdout.decode(errors="replace")

    def check_reachable(self, attempts=3, pause=5):
        """Fail fast when the S3 endpoint does not take TCP connections: restic retries an unreachable backend
        for up to 15 minutes, which would hold a scheduled run (or a first boot) that long for nothing."""
        repository = self.configuration["repository"]
        if not repository.startswith("s3:"):
            return
        endpoint = urllib.parse.urlparse(repository[3:])
        port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
        for attempt in range(attempts):
            try:
                socket.create_connection((endpoint.hostname, port), timeout=10).close()
                return
            except OSError as error:
                problem = error
                if attempt + 1 < attempts:
                    time.sleep(pause)
        raise BackupError(f"the S3 endpoint {endpoint.scheme}://{endpoint.netloc} cannot be reached "
                          f"({problem}; tried {attempts} times)")

    def prepare(self):
        """Make the repository if there is none yet (restic 0.17+ says so with exit 10; 0.14 in its message)."""
        self.check_reachable()
        os.makedirs(CACHE, mode=0o700, exist_ok=True)
        result = subprocess.run(self.arguments("cat", "config"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=self.environment())
        if result.returncode == 0:
            return
        said = result.stderr.decode(errors="replace")
        if result.returncode == 10 or "specified key does not exist" in said or "no such file" in said.lower():
            self.run("init", what=f"creating the repository {self.configuration['repository']}")
            return
        raise BackupError(f"the repository {self.configuration['repository']} cannot be read (restic exit "
                          f"{result.returncode}): {fb.hidden(said, [self.configuration['key']])[-600:]}")

    def snapshots(self):
        """The snapshots of this database, oldest first (restic's JSON objects)."""
        self.check_reachable()
        return json.loads(self.run("snapshots", "--json", "--tag", self.tag, what="listing the backups") or "[]")

    def resolve(self, wanted):
        """The full id of snapshot `wanted` (an id or its prefix, or `latest`) of this database."""
        if not isinstance(wanted, str) or not SNAPSHOT.fullmatch(wanted):
            raise BackupError(f"{wanted!r} is not a backup: give `latest` or a snapshot id (8 to 64 hex digits) "
                              f"from `dibkit-backup list`")
        snapshots = self.snapshots()
        if not snapshots:
            raise BackupError(f"the repository {self.configuration['repository']} has no {self.tag} backup yet")
        if wanted == "latest":
            return max(snapshots, key=lambda snapshot: snapshot["time"])["id"]
        matches = [snapshot["id"] for snapshot in snapshots if snapshot["id"].startswith(wanted)]
        if len(matches) != 1:
            raise BackupError(f"{'no' if not matches else 'more than one'} {self.tag} backup has an id starting "
                              f"with {wanted} (see `dibkit-backup list`)")
        return matches[0]


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(run):
    """Save a run's outcome as the last run (and, when it worked, as the last success)."""
    os.makedirs(fb.path(STATE), mode=0o700, exist_ok=True)
    try:
        with open(fb.path(LAST_RUN), encoding="utf-8") as handle:
            previous = json.load(handle)
    except (FileNotFoundError, ValueError):
        previous = {}
    state = {"last": run, "last_success": run if run["ok"] else previous.get("last_success")}
    fb.write_file(LAST_RUN, json.dumps(state, indent=2) + "\n", mode=0o600)


def last_runs():
    try:
        with open(fb.path(LAST_RUN), encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}
