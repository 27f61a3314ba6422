"""A real Keystone and a real Glance (from PyPI, in the test venv) on 127.0.0.1, for dibkit's tests.

Keystone: sqlite, Fernet tokens, bootstrapped with an admin user and project; Glance: sqlite, a filesystem
store, staging and tasks stores for interoperable import (glance-direct), `flavor = keystone`. Both are
served by wsgi_serve.py in their own processes (their oslo.config state is global).

The catalog's image service: RegionOne public is Glance itself; RegionOne internal and RegionTwo public go
through fault_proxy.py, which logs every request and can fail chosen ones (see --fail), so tests see which
endpoint was used and how retries behave.

Usage: python3 openstack_servers.py --dir DIR [--fail 'METHOD PATH_SUFFIX STATUS COUNT']...
Prints one JSON line when every server answers: the URLs, the admin password, an application credential,
the proxy's log. Serves until standard input closes, then stops every server.
"""
import argparse
import fcntl
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).parent
VENV = pathlib.Path(sys.executable).parent.parent


def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def run(*command, env=None):
    start = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    print(f"{pathlib.Path(command[0]).name} {command[-1] if len(command) < 6 else command[3]}: {time.monotonic() - start:.1f} s",
          file=sys.stderr)


def request(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req, timeout=60) as answer:
        text = answer.read()
        return answer.headers, json.loads(text) if text else {}


def wait_until_up(url, process, log):
    """Until `url` answers at all; the applications take many seconds to import on a busy machine."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url} exited:\n{pathlib.Path(log).read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=30).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer in 10 minutes:\n{pathlib.Path(log).read_text()[-3000:]}")


class Servers:
    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.processes = []

    def start(self, name, sock, arguments, env=None):
        log = self.dir / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, str(HERE / "wsgi_serve.py"), "--fd", str(sock.fileno())] + arguments,
            pass_fds=[sock.fileno()], stdin=subprocess.DEVNULL, stdout=open(log, "w"), stderr=subprocess.STDOUT,
            env=env)
        self.processes.append(process)
        return process, log

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def keystone_config(directory):
    config = directory / "keystone.conf"
    config.write_text(f"""[DEFAULT]
log_file = {directory}/keystone-app.log
[database]
connection = sqlite:///{directory}/keystone.db
[fernet_tokens]
key_repository = {directory}/fernet-keys
[fernet_receipts]
key_repository = {directory}/fernet-keys
[credential]
key_repository = {directory}/credential-keys
[token]
provider = fernet
""")
    return config


def glance_config(directory, keystone, glance_url, password):
    folder = directory / "glance-etc"
    folder.mkdir(exist_ok=True)
    shutil.copy(VENV / "etc/glance/glance-api-paste.ini", folder / "glance-api-paste.ini")
    for store in ("images", "staging", "tasks", "cache"):
        (directory / "glance" / store).mkdir(parents=True, exist_ok=True)
    (folder / "glance-api.conf").write_text(f"""[DEFAULT]
log_file = {directory}/glance-app.log
enabled_backends = fs:file
enabled_import_methods = [glance-direct]
worker_self_reference_url = {glance_url}
image_cache_dir = {directory}/glance/cache
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {directory}/glance/images
[os_glance_staging_store]
filesystem_store_datadir = {directory}/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = {directory}/glance/tasks
[database]
connection = sqlite:///{directory}/glance.db
[paste_deploy]
flavor = keystone
config_file = {folder}/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = {keystone}/v3
auth_url = {keystone}/v3
auth_type = password
username = glance
password = {password}
project_name = service
user_domain_name = Default
project_domain_name = Default
interface = public
""")
    return folder


def admin_token(keystone, password):
    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    headers, body = request("POST", f"{keystone}/v3/auth/tokens", auth)
    return headers["X-Subject-Token"], body["token"]


def make_template(template):
    """Keystone's and Glance's databases and keys, made once per venv and launcher version (the manage
    commands take tens of seconds each on a busy machine): admin, the glance service user, the image service
    and an application credential. Endpoints get their real URLs when the servers start."""
    work = template.with_name(template.name + ".new")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    servers = Servers(work)
    try:
        bin_dir = pathlib.Path(sys.executable).parent
        password, glance_password = "admin-" + secrets.token_hex(8), "glance-" + secrets.token_hex(8)
        glance_etc = glance_config(work, "http://127.0.0.1:1", "http://127.0.0.1:1", glance_password)
        glance_sync = subprocess.Popen([str(bin_dir / "glance-manage"), "--config-dir", str(glance_etc), "db_sync"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sock = listening_socket()
        keystone = f"http://127.0.0.1:{sock.getsockname()[1]}"
        manage = [str(bin_dir / "keystone-manage"), "--config-file", str(keystone_config(work))]
        owner = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
        run(*manage, "db_sync")
        run(*manage, "fernet_setup", *owner)
        run(*manage, "credential_setup", *owner)
        run(*manage, "bootstrap", "--bootstrap-password", password, "--bootstrap-region-id", "RegionOne",
            "--bootstrap-public-url", f"{keystone}/v3")
        process, log = servers.start("keystone", sock, ["--app", "keystone.wsgi.api:application"], keystone_env(work))
        wait_until_up(f"{keystone}/v3", process, log)
        token, body = admin_token(keystone, password)
        admin_role = next(role["id"] for role in body["roles"] if role["name"] == "admin")
        _, project = request("POST", f"{keystone}/v3/projects", {"project": {"name": "service", "domain_id": "default"}}, token)
        _, user = request("POST", f"{keystone}/v3/users", {"user": {
            "name": "glance", "password": glance_password, "domain_id": "default"}}, token)
        request("PUT", f"{keystone}/v3/projects/{project['project']['id']}/users/{user['user']['id']}/roles/{admin_role}",
                None, token)
        request("POST", f"{keystone}/v3/regions", {"region": {"id": "RegionTwo"}}, token)
        _, service = request("POST", f"{keystone}/v3/services", {"service": {"type": "image", "name": "glance"}}, token)
        for interface, region in ENDPOINTS:
            request("POST", f"{keystone}/v3/endpoints", {"endpoint": {
                "service_id": service["service"]["id"], "interface": interface, "region_id": region,
                "url": "http://127.0.0.1:1"}}, token)
        _, credential = request("POST", f"{keystone}/v3/users/{body['user']['id']}/application_credentials",
                                {"application_credential": {"name": "dibkit-test"}}, token)
        if glance_sync.wait() != 0:
            sys.exit(f"glance-manage db_sync failed:\n{glance_sync.stderr.read()}")
        (work / "template.json").write_text(json.dumps({
            "password": password, "glance_password": glance_password,
            "application_credential_id": credential["application_credential"]["id"],
            "application_credential_secret": credential["application_credential"]["secret"]}))
    finally:
        servers.stop()
    for leftover in ("keystone.log", "keystone-app.log", "glance-app.log", "glance-etc", "glance"):
        path = work / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    shutil.rmtree(template, ignore_errors=True)
    work.rename(template)


# The image service's endpoints: (interface, region) → Glance itself or the proxy.
ENDPOINTS = [("public", "RegionOne"), ("internal", "RegionOne"), ("admin", "RegionOne"), ("public", "RegionTwo")]
THROUGH_PROXY = {("internal", "RegionOne"), ("public", "RegionTwo")}


def keystone_env(directory):
    return dict(os.environ, OS_KEYSTONE_CONFIG_DIR=str(directory), OS_KEYSTONE_CONFIG_FILES="keystone.conf")


def template_path():
    """Beside the venv's packages, keyed by this file and wsgi_serve.py: made again when either changes."""
    digest = hashlib.sha256((HERE / "openstack_servers.py").read_bytes() + (HERE / "wsgi_serve.py").read_bytes())
    return VENV / f"openstack-template-{digest.hexdigest()[:12]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail", action="append", default=[])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # runs the cleanup below
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # Foundation's Process starts us with it blocked
    directory = pathlib.Path(args.dir)
    template = template_path()
    with open(VENV / "openstack-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "template.json").exists():
            make_template(template)
    shutil.copytree(template, directory, dirs_exist_ok=True)
    settings = json.loads((directory / "template.json").read_text())
    servers = Servers(directory)
    try:
        keystone_socket, glance_socket, proxy_socket = listening_socket(), listening_socket(), listening_socket()
        keystone = f"http://127.0.0.1:{keystone_socket.getsockname()[1]}"
        glance_url = f"http://127.0.0.1:{glance_socket.getsockname()[1]}"
        proxy_url = f"http://127.0.0.1:{proxy_socket.getsockname()[1]}"
        keystone_config(directory)
        glance_etc = glance_config(directory, keystone, glance_url, settings["glance_password"])
        keystone_process, keystone_log = servers.start(
            "keystone", keystone_socket, ["--app", "keystone.wsgi.api:application"], keystone_env(directory))
        glance_process, glance_log = servers.start(
            "glance", glance_socket, ["--app", "glance.wsgi.api:application"],
            dict(os.environ, OS_GLANCE_CONFIG_DIR=str(glance_etc)))
        proxy_log = directory / "proxy.jsonl"
        servers.start("proxy", proxy_socket, ["--proxy", glance_url, "--log", str(proxy_log)]
                      + sum((["--fail", rule] for rule in args.fail), []))
        for sock in (keystone_socket, glance_socket, proxy_socket):
            sock.close()
        wait_until_up(f"{keystone}/v3", keystone_process, keystone_log)
        token, _ = admin_token(keystone, settings["password"])
        _, listing = request("GET", f"{keystone}/v3/endpoints", token=token)
        for endpoint in listing["endpoints"]:
            place = (endpoint["interface"], endpoint["region_id"])
            url = f"{keystone}/v3" if endpoint["url"].endswith("/v3") else proxy_url if place in THROUGH_PROXY else glance_url
            request("PATCH", f"{keystone}/v3/endpoints/{endpoint['id']}", {"endpoint": {"url": url}}, token)
        wait_until_up(f"{glance_url}/versions", glance_process, glance_log)
        print(json.dumps({
            "keystone": f"{keystone}/v3", "glance": glance_url, "proxy": proxy_url, "proxy_log": str(proxy_log),
            "username": "admin", "password": settings["password"], "project_name": "admin",
            "application_credential_id": settings["application_credential_id"],
            "application_credential_secret": settings["application_credential_secret"],
        }), flush=True)
        sys.stdin.read()
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
