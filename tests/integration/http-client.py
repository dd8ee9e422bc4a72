#!/usr/bin/python3
"""Raw-socket HTTP checks for tests/integration/test-http.sh.

usage: http-client.py PORT CHECK
  head      HEAD with Connection: close; the reply must end right after the headers
  cap N     with N idle connections open, further clients are not served until
            those close; then they are
  garbage   junk bytes, an oversized header and a half-sent request: each is
            answered with an error or closed, and the daemon still serves
  idle T    a silent connection is closed by the daemon within T+3 seconds
  pipeline  requests sent together on one connection are answered in order,
            also across one the fast path gives to evhttp (a POST); a head
            sent in pieces; HTTP/1.0 keep-alive and close; a bare-LF request
Prints what it checks; exits 0 on success, 1 on failure.
"""
import socket
import sys
import time

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def read_all(s, timeout=5.0):
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            fail("timed out reading a reply (got %r)" % data[:200])
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def request(port, raw, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.sendall(raw)
    data = read_all(s, timeout)
    s.close()
    return data


def healthz_ok(port):
    data = request(port, b"GET /healthz HTTP/1.0\r\n\r\n")
    return data.startswith(b"HTTP/1.0 200") and data.endswith(b"\r\n\r\nok\n")


def check_head(port):
    data = request(port, b"HEAD /images/kairos/kernel HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
    head, sep, body = data.partition(b"\r\n\r\n")
    print("HEAD reply: %r" % head.split(b"\r\n")[0])
    if not sep or not head.startswith(b"HTTP/1.1 200"):
        fail("HEAD: bad reply %r" % data[:200])
    if body:
        fail("HEAD: %d body bytes after the headers" % len(body))
    lengths = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    if len(lengths) != 1:
        fail("HEAD: Content-Length headers: %r" % lengths)
    print(lengths[0].decode())


def check_cap(port, n):
    idle = [socket.create_connection((HOST, port)) for _ in range(n)]
    time.sleep(0.5)
    extra = [socket.create_connection((HOST, port)) for _ in range(3)]
    for s in extra:
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        s.settimeout(1.5)
    served = 0
    for s in extra:
        try:
            if s.recv(100):
                served += 1
        except socket.timeout:
            pass
    print("with %d idle connections open, %d of 3 extra clients were served" % (n, served))
    if served != 0:
        fail("clients beyond the cap were served")
    for s in idle:
        s.close()
    for s in extra:
        data = read_all(s, 5.0)
        if not data.startswith(b"HTTP/1.0 200"):
            fail("queued client not served after the idle ones left: %r" % data[:100])
        s.close()
    print("after the idle connections closed, the 3 queued clients were served")
    if not healthz_ok(port):
        fail("not serving after the cap test")


def check_garbage(port):
    junk = bytes(range(256)) * 4 + b"\r\n\r\n"
    data = request(port, junk)
    print("junk bytes -> %r" % data.split(b"\r\n")[0])
    if data and not data.startswith(b"HTTP/1.1 400"):
        fail("junk: unexpected reply %r" % data[:100])
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    data = request(port, big)
    print("20 kB header -> %r" % data.split(b"\r\n")[0])
    if data and not (data.startswith(b"HTTP/1.1 400") or data.startswith(b"HTTP/1.1 413")):
        fail("big header: unexpected reply %r" % data[:100])
    s = socket.create_connection((HOST, port))
    s.sendall(b"GET /images/kairos/rootfs.squashfs HTTP/1.1\r\nHo")
    s.close()
    s = socket.create_connection((HOST, port))
    s.sendall(b"GET /images/kairos/rootfs.squashfs HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(1000)
    s.close()  # mid-transfer
    print("half-sent request and mid-transfer close done")
    if not healthz_ok(port):
        fail("not serving after garbage")
    print("still serving after garbage")


def check_idle(port, t):
    s = socket.create_connection((HOST, port))
    start = time.monotonic()
    data = read_all(s, t + 3.0)
    took = time.monotonic() - start
    print("silent connection closed after %.1f s (timeout %d s), %d bytes" % (took, t, len(data)))
    if took < t - 0.5:
        fail("closed too early")


def statuses(data, heads=()):
    """The status codes of the responses in data, in order (bodies skipped by
    Content-Length, except for the responses numbered in heads: to HEAD)."""
    codes = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            fail("a response without the end of its headers: %r" % data[:200])
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            fail("not a status line: %r" % lines[0])
        codes.append(int(parts[1]))
        length = 0
        for l in lines[1:]:
            name, _, value = l.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        data = rest[0 if len(codes) - 1 in heads else length:]
    return codes


def pipelined(port, parts, pause=0.0):
    s = socket.create_connection((HOST, port), timeout=10)
    for p in parts:
        s.sendall(p)
        time.sleep(pause)
    data = read_all(s, 10)
    s.close()
    return data


def check_pipeline(port):
    r = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
         b"GET /images/kairos/kernel HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
         b"HEAD /images/kairos/kernel HTTP/1.1\r\n\r\n"
         b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
         b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
         b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    got = statuses(pipelined(port, [r]), heads=(2,))
    print("pipelined, in one write: %s" % got)
    if got != [200, 206, 200, 405, 200, 200]:
        fail("pipelined answers %s" % got)
    got = statuses(pipelined(port, [r[i:i + 7] for i in range(0, len(r), 7)], 0.002), heads=(2,))
    print("pipelined, 7 bytes at a time: %s" % got)
    if got != [200, 206, 200, 405, 200, 200]:
        fail("pipelined answers in pieces %s" % got)
    data = pipelined(port, [b"GET /heal", b"thz HTTP/1.1\r\nHo", b"st: x\r\n\r\n",
                            b"GET /healthz HTTP/1.0\r\n\r\n"], 0.3)
    print("a head in three pieces, then HTTP/1.0: %s" % statuses(data))
    if statuses(data) != [200, 200] or not data.endswith(b"ok\n"):
        fail("pieces: %r" % data[:300])
    data = pipelined(port, [b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                            b"GET /healthz HTTP/1.0\r\n\r\n"])
    if statuses(data) != [200, 200] or b"Connection: keep-alive" not in data:
        fail("HTTP/1.0 keep-alive: %r" % data[:300])
    print("HTTP/1.0 keep-alive then close: [200, 200]")
    data = pipelined(port, [b"GET /healthz HTTP/1.1\n\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"])
    print("a bare-LF request, then another: %s" % statuses(data))
    if statuses(data) != [200, 200]:
        fail("bare LF: %r" % data[:300])


def main():
    port = int(sys.argv[1])
    check = sys.argv[2]
    if check == "head":
        check_head(port)
    elif check == "cap":
        check_cap(port, int(sys.argv[3]))
    elif check == "garbage":
        check_garbage(port)
    elif check == "idle":
        check_idle(port, int(sys.argv[3]))
    elif check == "pipeline":
        check_pipeline(port)
    else:
        fail("unknown check " + check)


main()
