"""A DigitalOcean API v2 on 127.0.0.1 for dibkit's tests.

Every request body is checked against the official schemas (testdata/digitalocean-openapi): a body
that fails gets 422 and the problems are logged; so is every response this server sends. A custom
image import fetches the staged URL as DigitalOcean would, HEAD then GET (signed, against moto, which
answers anonymous reads with 500 when it checks signatures) and checks the object is public-read, then
plays the scenario's import states.

Scenarios: available | slow (pending a while) | deleted (with error_message) | flaky (POST 429,
then GETs 500, 429 with Retry-After, 503) | never (pending forever) | post500 (the import's POST
answers 500) | transfer-errored (copies to other regions end `errored`).

Prints {"port": N} once listening; serves until its standard input closes or SIGTERM. Each request is
appended to --log as one JSON line.
"""

import argparse
import hashlib
import itertools
import json
import re
import signal
import sys
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, unquote

import boto3
from botocore.config import Config

from do_schemas import Schemas

parser = argparse.ArgumentParser()
parser.add_argument("--schemas", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--scenario", default="available")
parser.add_argument("--log", required=True)
parser.add_argument("--s3-endpoint", required=True)
parser.add_argument("--s3-region", required=True)
parser.add_argument("--s3-key", required=True)
parser.add_argument("--s3-secret", required=True)
args = parser.parse_args()

schemas = Schemas(args.schemas)
s3 = boto3.client("s3", endpoint_url=args.s3_endpoint, region_name=args.s3_region,
                  aws_access_key_id=args.s3_key, aws_secret_access_key=args.s3_secret,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
lock = threading.Lock()
ids = itertools.count(7000)
images, actions, firewalls, tags = {}, {}, {}, set()
post_faults = {"flaky": [(429, {"Retry-After": "1"})], "post500": [(500, {})]}.get(args.scenario, [])
REGIONS = ["ams3", "blr1", "fra1", "lon1", "nyc1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1"]
FORMATS = (".qcow2", ".raw.gz", ".raw", ".img", ".vmdk", ".vdi", ".vhdx", ".gz", ".bz2")


def log(entry):
    with lock, open(args.log, "a") as file:
        file.write(json.dumps(entry) + "\n")


def fetch(url):
    """What DigitalOcean's importer checks of the URL; returns (report, problem or None)."""
    report = {"url": url}
    parsed = urlparse(url)
    if parsed.query or not parsed.path.endswith(FORMATS):
        return report, "the URL must end in the image's file name (raw, qcow2, vhdx, vdi, vmdk; gz or bz2)"
    bucket, _, key = unquote(parsed.path).lstrip("/").partition("/")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        report["head_length"] = head["ContentLength"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        digest, first, length = hashlib.sha256(), b"", 0
        raw_digest, inflate = hashlib.sha256(), None
        for chunk in iter(lambda: body.read(1 << 20), b""):
            if not first:
                first = chunk[:4]
                inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if first[:2] == b"\x1f\x8b" else None
            digest.update(chunk)
            length += len(chunk)
            if inflate:
                raw_digest.update(inflate.decompress(chunk))
        report.update(get_length=length, sha256=digest.hexdigest())
        if inflate:
            raw_digest.update(inflate.flush())
            report["gunzipped_sha256"] = raw_digest.hexdigest()
        report["format"] = "gzip" if first[:2] == b"\x1f\x8b" else "qcow2" if first == b"QFI\xfb" else "other"
        grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        report["public_read"] = any(g["Grantee"].get("URI", "").endswith("/global/AllUsers")
                                    and g["Permission"] == "READ" for g in grants)
    except Exception as error:  # what the importer would see as a failed download
        report["error"] = str(error)
        return report, f"could not download the image: {error}"
    if report["head_length"] != report["get_length"]:
        return report, "HEAD and GET disagree on the length"
    if not report["public_read"]:
        return report, "the image URL is not publicly readable"
    if report["format"] == "other":
        return report, "unrecognised image format"
    return report, None


def image_body(image):
    return {key: image[key] for key in ("id", "name", "distribution", "regions", "status", "error_message",
                                        "type", "tags", "created_at", "min_disk_size", "size_gigabytes",
                                        "description") if key in image}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def route(self):
        path = self.path.split("?")[0]
        for method, pattern, operation, handler in ROUTES:
            match = re.fullmatch(pattern, path)
            if method == self.command and match:
                return operation, handler, match.groups()
        return None, None, ()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        entry = {"method": self.command, "path": self.path}
        operation, handler, groups = self.route()
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                entry["problems"] = ["body is not JSON"]
        entry["body"] = body
        if self.headers.get("Authorization") != f"Bearer {args.token}":
            status, headers, answer = 401, {}, {"id": "unauthorized", "message": "Unable to authenticate you"}
        elif operation is None:
            status, headers, answer = 404, {}, {"id": "not_found", "message": "The resource you requested could not be found."}
        else:
            problems = entry.get("problems") or (schemas.request_problems(operation, body) if raw else [])
            entry["problems"] = problems
            if problems:
                status, headers, answer = 422, {}, {"id": "unprocessable_entity", "message": "; ".join(problems)}
            else:
                status, headers, answer = handler(body, *groups)
        if operation and status != 422:
            entry["response_problems"] = schemas.response_problems(operation, status, answer)
        entry["status"] = status
        log(entry)
        data = json.dumps(answer).encode() if answer is not None else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def regions(_):
    return 200, {}, {"regions": [{"slug": slug, "name": slug.upper(), "available": True, "sizes": ["s-1vcpu-1gb"],
                                  "features": ["image_transfer", "metadata"]} for slug in REGIONS],
                     "links": {}, "meta": {"total": len(REGIONS)}}


def create_image(body):
    if post_faults:
        status, headers = post_faults.pop(0)
        return status, headers, ({"id": "too_many_requests", "message": "API Rate limit exceeded."} if status == 429
                                 else {"id": "server_error", "message": "Unexpected server-side error"})
    report, problem = fetch(body["url"])
    log({"fetch": report, "problem": problem})
    image = {"id": next(ids), "name": body["name"], "distribution": body.get("distribution", "Unknown"),
             "regions": [], "status": "NEW", "error_message": "", "type": "custom", "tags": body.get("tags") or [],
             "created_at": "2026-11-24T12:00:00Z", "description": body.get("description", ""),
             "region": body["region"]}
    plans = {"available": ["available"], "slow": ["NEW", "pending", "pending", "pending", "pending", "available"],
             "deleted": ["deleted"], "flaky": ["available"], "never": ["pending"], "post500": ["available"],
             "transfer-errored": ["available"]}
    image["plan"] = ["deleted"] if problem else plans[args.scenario]
    image["error"] = problem or ("The image could not be imported: unrecognised partition table"
                                 if args.scenario == "deleted" else "")
    image["faults"] = [(500, {}), (429, {"Retry-After": "1"}), (503, {})] if args.scenario == "flaky" else []
    with lock:
        images[image["id"]] = image
    return 202, {}, {"image": image_body(image)}


def get_image(_, image_id):
    image = images.get(int(image_id))
    if image is None:
        return 404, {}, {"id": "not_found", "message": "The resource you requested could not be found."}
    if image["faults"]:
        status, headers = image["faults"].pop(0)
        return status, headers, {"id": "server_error" if status != 429 else "too_many_requests", "message": "try again"}
    status = image["plan"].pop(0) if len(image["plan"]) > 1 else image["plan"][0]
    image["status"] = status
    if status == "available":
        image.update(regions=sorted(set(image["regions"]) | {image["region"]}), min_disk_size=3, size_gigabytes=0.01)
    if status == "deleted":
        image["error_message"] = image["error"]
    return 200, {}, {"image": image_body(image)}


def delete_image(_, image_id):
    images.pop(int(image_id), None)
    return 204, {}, None


def post_action(body, image_id):
    action = {"id": next(ids), "status": "in-progress", "type": "transfer", "started_at": "2026-11-24T12:00:00Z",
              "completed_at": None, "resource_id": int(image_id), "resource_type": "image",
              "region_slug": body["region"], "polls": 0}
    with lock:
        actions[action["id"]] = action
    return 201, {}, {"action": {k: v for k, v in action.items() if k != "polls"}}


def get_action(_, image_id, action_id):
    action = actions[int(action_id)]
    action["polls"] += 1
    if action["polls"] > 1 and args.scenario == "transfer-errored":
        action.update(status="errored", completed_at="2026-11-24T12:05:00Z")
    elif action["polls"] > 1:
        action.update(status="completed", completed_at="2026-11-24T12:05:00Z")
        images[int(image_id)]["regions"].append(action["region_slug"])
    return 200, {}, {"action": {k: v for k, v in action.items() if k != "polls"}}


def firewall_body(firewall):
    return {**firewall, "status": "succeeded", "created_at": "2026-11-24T12:00:00Z", "pending_changes": []}


def list_firewalls(_):
    return 200, {}, {"firewalls": [firewall_body(f) for f in firewalls.values()], "links": {},
                     "meta": {"total": len(firewalls)}}


def create_firewall(body):
    unknown = [tag for tag in body.get("tags") or [] if tag not in tags]
    if unknown:
        return 422, {}, {"id": "unprocessable_entity", "message": f"tags do not exist: {unknown}"}
    firewall = {**body, "id": str(uuid.uuid4())}
    firewalls[firewall["id"]] = firewall
    return 202, {}, {"firewall": firewall_body(firewall)}


def update_firewall(body, firewall_id):
    if firewall_id not in firewalls:
        return 404, {}, {"id": "not_found", "message": "The resource you requested could not be found."}
    firewalls[firewall_id] = {**body, "id": firewall_id}
    return 200, {}, {"firewall": firewall_body(firewalls[firewall_id])}


def create_tag(body):
    tags.add(body["name"])
    return 201, {}, {"tag": {"name": body["name"], "resources": {"count": 0, "droplets": {"count": 0}}}}


ROUTES = [
    ("GET", r"/v2/regions", "resources/regions/regions_list.yml", regions),
    ("POST", r"/v2/images", "resources/images/images_create_custom.yml", create_image),
    ("GET", r"/v2/images/(\d+)", "resources/images/images_get.yml", get_image),
    ("DELETE", r"/v2/images/(\d+)", "resources/images/images_delete.yml", delete_image),
    ("POST", r"/v2/images/(\d+)/actions", "resources/images/imageActions_post.yml", post_action),
    ("GET", r"/v2/images/(\d+)/actions/(\d+)", "resources/images/imageActions_get.yml", get_action),
    ("GET", r"/v2/firewalls", "resources/firewalls/firewalls_list.yml", list_firewalls),
    ("POST", r"/v2/firewalls", "resources/firewalls/firewalls_create.yml", create_firewall),
    ("PUT", r"/v2/firewalls/([0-9a-f-]+)", "resources/firewalls/firewalls_update.yml", update_firewall),
    ("POST", r"/v2/tags", "resources/tags/tags_create.yml", create_tag),
]

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(json.dumps({"port": server.server_address[1]}), flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
stop.wait()
server.shutdown()
