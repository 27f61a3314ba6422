"""A Keystone v3 token endpoint, Nova's flavor and keypair API and Trove's datastore-version management API
on 127.0.0.1, for dibkit's tests.

Every request body Nova or Trove would validate is checked against the project's published request schema
(the JSON files beside this script) with jsonschema, as the project does (Nova: Draft 2020-12 plus its `name`
format; Trove: Draft 4); a body that fails gets the project's 400. Each request is appended as one JSON line
to the log file, with the validation verdict.

Two users: `admin` and `member` (password `secret`, project `admin`); Trove's management API refuses
`member` as Trove does (401, "User does not have admin privileges."). The catalog lists a `database`
endpoint only with --trove.

Usage: python3 fake_openstack.py --log FILE [--seed FLAVORS.json] [--keypairs {NAME: PUBLIC_KEY}.json]
                                 [--trove] [--trove-seed VERSIONS.json]
Prints one JSON line, {"port": PORT}, once it accepts connections, and serves until its standard input closes.
"""
import argparse
import json
import pathlib
import sys
import threading
import unicodedata
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema

HERE = pathlib.Path(__file__).parent
USER, MEMBER, PASSWORD, PROJECT, DOMAIN = "admin", "member", "secret", "admin", "Default"
PROJECT_ID = "6f1b1e0c0de94c4c8a7e0d5c1a2b3c4d"
TOKEN = "fake-token-" + uuid.uuid4().hex
MEMBER_TOKEN = "fake-member-token-" + uuid.uuid4().hex

format_checker = jsonschema.FormatChecker()


@format_checker.checks("name")
def printable_name(value):
    """Nova's `name` format: printable characters (no control or non-space separator), no leading or
    trailing white space."""
    if not isinstance(value, str):
        return True
    printable = all(not unicodedata.category(c).startswith("C")
                    and (not unicodedata.category(c).startswith("Z") or unicodedata.category(c) == "Zs")
                    for c in value)
    return printable and value == value.strip()


def validator(name):
    schema = json.loads((HERE / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=format_checker)


FLAVOR_CREATE = validator("nova-flavor-create.schema.json")
EXTRA_SPECS_CREATE = validator("nova-flavor-extra-specs-create.schema.json")
TROVE_SCHEMA = json.loads((HERE / "trove-mgmt-datastore-version-create.schema.json").read_text())
jsonschema.Draft4Validator.check_schema(TROVE_SCHEMA)
DATASTORE_VERSION_CREATE = jsonschema.Draft4Validator(TROVE_SCHEMA)


class State:
    def __init__(self, log, seed, keypairs, trove, trove_seed):
        self.lock = threading.RLock()
        self.log = open(log, "a", buffering=1)
        self.keypairs = keypairs
        self.trove = trove
        self.datastore_versions = [dict(v, id=v.get("id", str(uuid.uuid4()))) for v in trove_seed]
        self.flavors = {}
        for flavor in seed:
            flavor = dict(flavor)
            flavor.setdefault("id", uuid.uuid4().hex)
            self.flavors[flavor["id"]] = flavor


class Handler(BaseHTTPRequestHandler):
    state = None
    port = 0

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, body, verdict):
        with self.state.lock:
            self.state.log.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                             "verdict": verdict}) + "\n")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def do_POST(self):
        body = self.read_body()
        if self.path == "/identity/v3/auth/tokens":
            return self.authenticate(body)
        if not self.authorized(body):
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["compute", "v2.1", "flavors"]:
            return self.create_flavor(body)
        if len(parts) == 5 and parts[:3] == ["compute", "v2.1", "flavors"] and parts[4] == "os-extra_specs":
            return self.create_extra_specs(parts[3], body)
        if self.is_trove_mgmt(parts):
            return self.create_datastore_version(body)
        self.record(body, "unknown path")
        self.answer(404, {"itemNotFound": {"message": "no such path", "code": 404}})

    def do_GET(self):
        if not self.authorized(None):
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if self.is_trove_mgmt(parts):
            return self.list_datastore_versions()
        if len(parts) == 4 and parts[:3] == ["compute", "v2.1", "os-keypairs"]:
            return self.show_keypair(urllib.parse.unquote(parts[3]))
        self.record(None, "ok")
        with self.state.lock:
            if parts == ["compute", "v2.1", "flavors", "detail"]:
                return self.answer(200, {"flavors": [self.public_view(f) for f in self.state.flavors.values()]})
            if len(parts) == 5 and parts[4] == "os-extra_specs" and parts[3] in self.state.flavors:
                return self.answer(200, {"extra_specs": self.state.flavors[parts[3]].get("extra_specs", {})})
        self.answer(404, {"itemNotFound": {"message": "no such flavor", "code": 404}})

    def do_DELETE(self):
        if not self.authorized(None):
            return
        parts = self.path.strip("/").split("/")
        self.record(None, "ok")
        with self.state.lock:
            if len(parts) == 4 and parts[3] in self.state.flavors:
                del self.state.flavors[parts[3]]
                return self.answer(202)
        self.answer(404, {"itemNotFound": {"message": "no such flavor", "code": 404}})

    def authorized(self, body):
        if self.headers.get("X-Auth-Token") in (TOKEN, MEMBER_TOKEN):
            return True
        self.record(body, "no token")
        self.answer(401, {"error": {"message": "The request you have made requires authentication.", "code": 401}})
        return False

    def authenticate(self, body):
        try:
            identity = body["auth"]["identity"]
            user = identity["password"]["user"]
            project = body["auth"]["scope"]["project"]
            ok = (identity["methods"] == ["password"] and user["name"] in (USER, MEMBER) and user["password"] == PASSWORD
                  and user["domain"]["name"] == DOMAIN and project["name"] == PROJECT
                  and project["domain"]["name"] == DOMAIN)
        except (KeyError, TypeError):
            ok = False
        self.record({"auth": "(credentials not logged)"}, "ok" if ok else "refused")
        if not ok:
            return self.answer(401, {"error": {"message": "The request you have made requires authentication.", "code": 401}})
        base = f"http://127.0.0.1:{self.port}"
        endpoints = [
            {"interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": f"{base}/compute/v2.1"},
            {"interface": "internal", "region_id": "RegionOne", "region": "RegionOne", "url": f"{base}/wrong-interface"},
            {"interface": "public", "region_id": "RegionTwo", "region": "RegionTwo", "url": f"{base}/wrong-region"},
        ]
        catalog = [{"type": "compute", "name": "nova", "endpoints": endpoints},
                   {"type": "identity", "name": "keystone",
                    "endpoints": [{"interface": "public", "region_id": "RegionOne", "url": f"{base}/identity/v3"}]}]
        if self.state.trove:
            catalog.append({"type": "database", "name": "trove", "endpoints": [
                {"interface": "public", "region_id": "RegionOne", "url": f"{base}/database/v1.0/{PROJECT_ID}"}]})
        token = TOKEN if user["name"] == USER else MEMBER_TOKEN
        self.answer(201, {"token": {"catalog": catalog, "methods": ["password"]}}, [("X-Subject-Token", token)])

    def create_flavor(self, body):
        errors = sorted(FLAVOR_CREATE.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            message = "Invalid input for field/attribute flavor. Value: %s. %s" % (body, errors[0].message)
            self.record(body, message)
            return self.answer(400, {"badRequest": {"message": message, "code": 400}})
        flavor = body["flavor"]
        with self.state.lock:
            if any(f["name"] == flavor["name"] for f in self.state.flavors.values()):
                self.record(body, "conflict")
                return self.answer(409, {"conflictingRequest": {
                    "message": "Flavor with name %s already exists." % flavor["name"], "code": 409}})
            stored = {"id": str(uuid.uuid4()), "name": flavor["name"], "ram": int(flavor["ram"]),
                      "vcpus": int(flavor["vcpus"]), "disk": int(flavor["disk"]),
                      "OS-FLV-EXT-DATA:ephemeral": int(flavor.get("OS-FLV-EXT-DATA:ephemeral", 0)),
                      "extra_specs": {}}
            self.state.flavors[stored["id"]] = stored
            self.record(body, "ok")
            self.answer(200, {"flavor": self.public_view(stored)})

    def create_extra_specs(self, flavor_id, body):
        errors = list(EXTRA_SPECS_CREATE.iter_errors(body))
        if errors:
            message = "Invalid input for field/attribute extra_specs. %s" % errors[0].message
            self.record(body, message)
            return self.answer(400, {"badRequest": {"message": message, "code": 400}})
        with self.state.lock:
            if flavor_id not in self.state.flavors:
                self.record(body, "no such flavor")
                return self.answer(404, {"itemNotFound": {"message": "no such flavor", "code": 404}})
            specs = self.state.flavors[flavor_id].setdefault("extra_specs", {})
            specs.update({k: str(v) for k, v in body["extra_specs"].items()})
            self.record(body, "ok")
            self.answer(200, {"extra_specs": specs})

    def show_keypair(self, name):
        """Nova's `GET /os-keypairs/{name}` (v2.1 without microversion): the show response's fields."""
        key = self.state.keypairs.get(name)
        self.record(None, "ok" if key else "no such keypair")
        if key is None:
            return self.answer(404, {"itemNotFound": {"message": "Keypair %s not found for user admin" % name,
                                                      "code": 404}})
        self.answer(200, {"keypair": {
            "name": name, "public_key": key, "fingerprint": "00:11:22:33", "user_id": "admin",
            "id": 1, "deleted": False, "created_at": "2026-11-26T10:00:00.000000", "deleted_at": None,
            "updated_at": None}})

    @staticmethod
    def is_trove_mgmt(parts):
        return parts == ["database", "v1.0", PROJECT_ID, "mgmt", "datastore-versions"]

    def trove_admin(self, body):
        """Trove's `admin_context`: a non-admin gets 401 with this message."""
        if self.headers.get("X-Auth-Token") == TOKEN:
            return True
        self.record(body, "not admin")
        self.answer(401, {"unauthorized": {"message": "User does not have admin privileges.", "code": 401}})
        return False

    def list_datastore_versions(self):
        if not self.trove_admin(None):
            return
        self.record(None, "ok")
        with self.state.lock:
            self.answer(200, {"versions": self.state.datastore_versions})

    def create_datastore_version(self, body):
        """Trove's `DatastoreVersionController.create`: schema check (Draft 4), an image is required, a
        version of the same datastore and name is refused with Trove's 400."""
        if not self.trove_admin(body):
            return
        errors = sorted(DATASTORE_VERSION_CREATE.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            message = "Validation error: " + "; ".join(
                "%s %s" % ("".join("[%r]" % p for p in e.path), e.message) for e in errors)
            self.record(body, message)
            return self.answer(400, {"badRequest": {"message": message, "code": 400}})
        version = body["version"]
        if "image" not in version and "image_tags" not in version:
            self.record(body, "no image")
            return self.answer(400, {"badRequest": {"message": "Image must be specified.", "code": 400}})
        with self.state.lock:
            if any(v["datastore_name"] == version["datastore_name"] and v["name"] == version["name"]
                   for v in self.state.datastore_versions):
                self.record(body, "exists")
                message = "The datastore version '%s(%s)' already exists." % (version["name"], version["name"])
                return self.answer(400, {"badRequest": {"message": message, "code": 400}})
            self.state.datastore_versions.append({
                "id": str(uuid.uuid4()), "name": version["name"], "version": version["name"],
                "datastore_name": version["datastore_name"], "datastore_manager": version["datastore_manager"],
                "image": version.get("image"), "packages": version.get("packages") or [""],
                "active": version["active"], "default": version.get("default", False)})
            self.record(body, "ok")
            self.answer(202)

    @staticmethod
    def public_view(flavor):
        return {k: v for k, v in flavor.items() if k != "extra_specs"} | {"swap": "", "os-flavor-access:is_public": True}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--seed")
    parser.add_argument("--keypairs")
    parser.add_argument("--trove", action="store_true")
    parser.add_argument("--trove-seed")
    args = parser.parse_args()

    def read(path, empty):
        return json.loads(pathlib.Path(path).read_text()) if path else empty

    Handler.state = State(args.log, read(args.seed, []), read(args.keypairs, {}), args.trove,
                          read(args.trove_seed, []))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": Handler.port}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
