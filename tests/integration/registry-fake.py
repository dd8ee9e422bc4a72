#!/usr/bin/python3
"""A fake OCI registry on loopback for the fault and token tests of
test-registry.sh.  It serves the OCI layout built by registry-mkimage.py
(tags from index.json annotations, everything else by digest) and misbehaves
on purpose according to --mode:

  token    every /v2/ request needs "Authorization: Bearer <token>" and gets a
           401 with a Bearer challenge otherwise; GET /token needs Basic
           alice:secret and hands out tokens that stop working after 4
           requests (the client must fetch a new one); blobs are answered with
           a 307 to http://<redirect-host>:<redirect-port>/blob/<digest>,
           served by a second listener that logs whether an Authorization
           header reached it.
  reset    the first GET of the largest blob sends half of it and resets the
           connection; later GETs honour Range (206).
  err500   the first two GETs of every path answer 500.
  corrupt  blobs are served with one byte changed (same size).
  bigmanifest  the manifest of any tag is 5 MiB of JSON.
  slow     the largest blob trickles out (8 KiB every 0.2 s).
  plain    nothing goes wrong: a registry over plain HTTP.

--host picks the address it listens on (default 127.0.0.1; an IPv6 one
such as ::1 too).

Each request is logged to --log as one line:
  <listener> GET <path> range=<Range or -> auth=<scheme or -> 
"""
import argparse
import base64
import collections
import hashlib
import http.server
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--layout", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--mode", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--redirect-host", default="127.0.0.2")
ap.add_argument("--redirect-port", type=int, default=0)
args = ap.parse_args()

lock = threading.Lock()
hits = collections.Counter()
tokens = {}  # token -> uses left
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def log(line):
    with lock, open(args.log, "a") as f:
        f.write(line + "\n")


def blob_path(digest):
    if not digest.startswith("sha256:") or len(digest) != 71:
        return None
    p = os.path.join(args.layout, "blobs", "sha256", digest[7:])
    return p if os.path.exists(p) else None


def tag_descriptor(tag):
    with open(os.path.join(args.layout, "index.json")) as f:
        for m in json.load(f)["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                return m
    return None


def largest_blob():
    d = os.path.join(args.layout, "blobs", "sha256")
    return "sha256:" + max(os.listdir(d), key=lambda n: os.path.getsize(os.path.join(d, n)))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "registry"

    def log_message(self, fmt, *a):
        pass

    def handle(self):
        try:
            super().handle()
        except OSError:
            pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization")
        log("%s GET %s range=%s auth=%s" % (self.listener, self.path,
            self.headers.get("Range") or "-", auth.split()[0] if auth else "-"))
        with lock:
            hits[self.path] += 1
            n = hits[self.path]
        if self.listener == "storage":
            return self.serve_blob(self.path[len("/blob/"):])
        if self.path.startswith("/token"):
            return self.token(auth)
        if args.mode == "token" and not self.token_ok(auth):
            realm = "http://127.0.0.1:%d/token" % args.port
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', headers=[(
                "WWW-Authenticate",
                'Bearer realm="%s",service="fake",scope="repository:ns/img:pull"' % realm)])
        if args.mode == "err500" and n <= 2:
            return self.send(500, b'{"errors":[{"code":"UNKNOWN","message":"try later"}]}')
        m = re.match(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$", self.path)
        if self.path == "/v2/":
            return self.send(200, b"{}")
        if m and m.group(2) == "manifests":
            return self.manifest(m.group(3))
        if m and m.group(2) == "blobs":
            if args.mode == "token":
                loc = "http://%s:%d/blob/%s?sig=x" % (args.redirect_host, args.redirect_port,
                                                      m.group(3))
                return self.send(307, b"", headers=[("Location", loc)])
            return self.serve_blob(m.group(3))
        return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    def token_ok(self, auth):
        if not auth or not auth.startswith("Bearer "):
            return False
        with lock:
            left = tokens.get(auth[7:], 0)
            if left <= 0:
                return False
            tokens[auth[7:]] = left - 1
            return True

    def token(self, auth):
        want = "Basic " + base64.b64encode(b"alice:secret").decode()
        if auth != want:
            return self.send(401, b'{"details":"bad credentials"}')
        t = secrets.token_urlsafe(24)
        with lock:
            tokens[t] = 4
        return self.send(200, json.dumps({"token": t, "expires_in": 60}).encode())

    def manifest(self, ref):
        if args.mode == "bigmanifest" and not ref.startswith("sha256:"):
            body = json.dumps({"schemaVersion": 2, "pad": "x" * (5 << 20)}).encode()
            return self.send(200, body, OCI_INDEX)
        if ref.startswith("sha256:"):
            path, desc = blob_path(ref), None
        else:
            desc = tag_descriptor(ref)
            path = blob_path(desc["digest"]) if desc else None
        if path is None:
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        with open(path, "rb") as f:
            body = f.read()
        mt = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return self.send(200, body, mt, [("Docker-Content-Digest", digest)])

    def serve_blob(self, digest):
        digest = digest.split("?")[0]
        path = blob_path(digest)
        if path is None:
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        with open(path, "rb") as f:
            data = f.read()
        if args.mode == "corrupt":
            data = bytes([data[0] ^ 0xff]) + data[1:]
        rng = self.headers.get("Range")
        if args.mode == "reset" and digest == largest_blob() and hits[self.path] == 1:
            return self.reset_midway(data)
        if args.mode == "slow" and digest == largest_blob():
            return self.trickle(data)
        if rng and rng.startswith("bytes=") and args.mode == "reset":
            start = int(rng[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        return self.send(200, data, "application/octet-stream")

    def trickle(self, data):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(0, len(data), 8192):
            self.wfile.write(data[i:i + 8192])
            self.wfile.flush()
            time.sleep(0.2)

    def reset_midway(self, data):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class Storage(Handler):
    listener = "storage"


class Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(host, port, handler):
    cls = Server6 if ":" in host else http.server.ThreadingHTTPServer
    srv = cls((host, port), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


serve(args.host, args.port, Handler)
if args.mode == "token":
    serve(args.redirect_host, args.redirect_port, Storage)
log("ready")
threading.Event().wait()
