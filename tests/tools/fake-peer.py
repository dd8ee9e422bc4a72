#!/usr/bin/python3
"""A netbootd peer that misbehaves on purpose, for tests/integration/test-blobs.sh.

    fake-peer.py DIR PORT_FILE LOG MODE[,MODE...]

Serves the files of DIR on 127.0.0.1 (a free port, written to PORT_FILE) as
    /blobs/sha256:<hex>      like netbootd's peers
    /files/<name>            an origin by file name ({file} templates)
    /by-digest/<hex>         an origin by digest ({sha256} templates)
with single "Range: bytes=N-" / "bytes=N-M" answered 206, unless a MODE says
otherwise:
    ok            as above
    wrong         the right length, one byte changed in the middle
    cut           the first response for each path stops after half its body
                  (the connection is closed; Content-Length promised it all)
    ignore-range  Range is ignored: always 200 and the whole file
    500           every request gets 500
    big           the file and 4096 more bytes (a peer sending too much)
    slow          the body in 64 KiB pieces, 20 ms apart
Every request is logged to LOG as one line:
    GET /path range=<Range header or -> status=<code> sent=<bytes>
"""
import hashlib
import http.server
import os
import re
import sys
import threading
import time

DIR, PORT_FILE, LOG, MODES = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split(","))
FILES = {}  # name -> path
DIGESTS = {}  # hex -> path
for name in sorted(os.listdir(DIR)):
    path = os.path.join(DIR, name)
    if os.path.isfile(path):
        FILES[name] = path
        with open(path, "rb") as f:
            DIGESTS[hashlib.sha256(f.read()).hexdigest()] = path
LOCK = threading.Lock()
CUT_DONE = set()


def log(line):
    with LOCK, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def lookup(self):
        m = re.fullmatch(r"/blobs/sha256:([0-9a-f]{64})", self.path)
        if m:
            return DIGESTS.get(m.group(1))
        m = re.fullmatch(r"/by-digest/([0-9a-f]{64})", self.path)
        if m:
            return DIGESTS.get(m.group(1))
        m = re.fullmatch(r"/files/([A-Za-z0-9._-]+)", self.path)
        if m:
            return FILES.get(m.group(1))
        return None

    def reply(self, code, body=b"", extra=None, length=None, send=None):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        data = body if send is None else body[:send]
        if "slow" in MODES:
            for i in range(0, len(data), 65536):
                self.wfile.write(data[i:i + 65536])
                self.wfile.flush()
                time.sleep(0.02)
        else:
            self.wfile.write(data)
        return len(data)

    def pick_range(self, size):
        rng = self.headers.get("Range")
        if rng is None or "ignore-range" in MODES:
            return None
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
        if not m:
            return None
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
        return (start, min(end, size - 1))

    def do_GET(self):
        rng_hdr = self.headers.get("Range", "-")
        path = self.lookup()
        if "500" in MODES or path is None:
            code = 500 if "500" in MODES else 404
            sent = self.reply(code, b"no\n")
            log(f"GET {self.path} range={rng_hdr} status={code} sent={sent}")
            return
        with open(path, "rb") as f:
            data = bytearray(f.read())
        if "wrong" in MODES and data:
            data[len(data) // 2] ^= 0xFF
        if "big" in MODES:
            data += b"x" * 4096
        size = len(data)
        rng = self.pick_range(size)
        code, extra = 200, {}
        if rng is not None:
            code = 206
            extra["Content-Range"] = f"bytes {rng[0]}-{rng[1]}/{size}"
            data = data[rng[0]:rng[1] + 1]
        send = None
        with LOCK:
            if "cut" in MODES and self.path not in CUT_DONE:
                CUT_DONE.add(self.path)
                send = len(data) // 2
        sent = self.reply(code, bytes(data), extra, send=send)
        log(f"GET {self.path} range={rng_hdr} status={code} sent={sent}")
        if send is not None:
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


srv = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
