"""Serves a WSGI application, or a logging and failing proxy, on an inherited listening socket.

  wsgi_serve.py --fd N --app MODULE:NAME
      the application (Keystone's or Glance's) with the standard library's wsgiref, a thread a request;
      request bodies end at Content-Length, or are decoded from chunked transfer encoding.
  wsgi_serve.py --fd N --proxy URL --log FILE [--fail 'METHOD PATH_SUFFIX STATUS COUNT']...
      forwards every request to URL, streaming bodies both ways, and logs one JSON line per request
      (method, path, status). A --fail rule answers the first COUNT requests whose method matches and whose
      path ends with PATH_SUFFIX (`*`: any path) with STATUS instead of forwarding them (the body is read and
      dropped), with `Retry-After: 0` on 429 and 503; STATUS `stall` holds the request for ten minutes instead,
      as a cloud that stopped answering does.
"""
import argparse
import ctypes
import http.client
import importlib
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

CHUNK = 1 << 20


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    @classmethod
    def on(cls, sock, application):
        """A server on an already listening socket."""
        server = cls(sock.getsockname(), QuietHandler, bind_and_activate=False)
        server.socket = sock
        server.server_name, server.server_port = sock.getsockname()
        server.setup_environ()
        server.set_app(application)
        return server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class BoundedInput:
    """The request body, ending at Content-Length as uwsgi's and mod_wsgi's do (wsgiref hands over the
    socket, so a read to the end would wait for the client's next request: Glance's staging reads so)."""

    def __init__(self, stream, length):
        self.stream, self.left = stream, length

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(size) if size else b""
        self.left -= len(data)
        return data

    def readline(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.readline(size) if size else b""
        self.left -= len(data)
        return data

    def __iter__(self):
        while line := self.readline():
            yield line


class ChunkedInput:
    """A `Transfer-Encoding: chunked` body, decoded (wsgiref passes it raw; python-glanceclient sends so)."""

    def __init__(self, stream):
        self.stream, self.left, self.done = stream, 0, False

    def read(self, size=-1):
        parts = []
        while not self.done and size != 0:
            if self.left == 0:
                self.left = int(self.stream.readline().split(b";")[0].strip() or b"0", 16)
                if self.left == 0:
                    while self.stream.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    self.done = True
                    break
            data = self.stream.read(self.left if size < 0 else min(size, self.left))
            if not data:
                self.done = True
                break
            parts.append(data)
            self.left -= len(data)
            size = size - len(data) if size > 0 else size
            if self.left == 0:
                self.stream.readline()
        return b"".join(parts)

    readline = read


def serve_app(sock, target):
    module, name = target.split(":")
    sys.argv = sys.argv[:1]  # the applications parse the command line as their own
    application = getattr(importlib.import_module(module), name)

    def bounded(environ, start_response):
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            environ["wsgi.input"] = ChunkedInput(environ["wsgi.input"])
        else:
            environ["wsgi.input"] = BoundedInput(environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0))
        return application(environ, start_response)
    ThreadingWSGIServer.on(sock, bounded).serve_forever()


class Rule:
    def __init__(self, text):
        method, suffix, status, count = text.split()
        self.method, self.suffix, self.left = method, "" if suffix == "*" else suffix, int(count)
        self.status = status if status == "stall" else int(status)

    def take(self, method, path):
        if self.left > 0 and method == self.method and path.split("?")[0].endswith(self.suffix):
            self.left -= 1
            return True
        return False


def serve_proxy(sock, upstream, log_path, rules):
    target = urllib.parse.urlsplit(upstream)
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1)

    def application(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        with lock:
            failing = next((rule for rule in rules if rule.take(method, path)), None)
        if failing and failing.status == "stall":
            time.sleep(600)
            failing = None
        if failing:
            while length > 0:
                length -= len(environ["wsgi.input"].read(min(CHUNK, length)) or b"x" * length)
            with lock:
                log.write(json.dumps({"method": method, "path": path, "status": failing.status, "injected": True}) + "\n")
            headers = [("Content-Type", "application/json")]
            if failing.status in (429, 503):
                headers.append(("Retry-After", "0"))
            start_response(f"{failing.status} Injected", headers)
            return [json.dumps({"message": "injected by the test proxy"}).encode()]
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
        headers.pop("Host", None)
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        connection.putrequest(method, path, skip_accept_encoding=True)
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        while length > 0:
            data = environ["wsgi.input"].read(min(CHUNK, length))
            if not data:
                break
            connection.send(data)
            length -= len(data)
        answer = connection.getresponse()
        with lock:
            log.write(json.dumps({"method": method, "path": path, "status": answer.status}) + "\n")
        hop = {"connection", "transfer-encoding", "keep-alive"}
        start_response(f"{answer.status} {answer.reason}", [(k, v) for k, v in answer.getheaders() if k.lower() not in hop])

        def body():
            try:
                while data := answer.read(CHUNK):
                    yield data
            finally:
                connection.close()
        return body()

    ThreadingWSGIServer.on(sock, application).serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--app")
    parser.add_argument("--proxy")
    parser.add_argument("--log")
    parser.add_argument("--fail", action="append", default=[])
    args = parser.parse_args()
    # Ends with the launcher, however it ends (PR_SET_PDEATHSIG).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # Foundation's Process starts us with it blocked
    sock = socket.socket(fileno=args.fd)
    if args.app:
        serve_app(sock, args.app)
    else:
        serve_proxy(sock, args.proxy, args.log, [Rule(text) for text in args.fail])


if __name__ == "__main__":
    sys.exit(main())
