#!/usr/bin/python3
"""A download that really is slow, for tests/integration/test-machines.sh.

usage: slow-get.py URL FILE RATE
GET http://HOST:PORT/PATH (HTTP/1.0) and write the body to FILE as it comes,
at most RATE bytes per second from the first byte on, through a small
receive buffer so that the kernel does not read ahead for us.  (curl 7.88's
--limit-rate lets the first megabytes through at full speed.)  Exit 0 on a
200 with the whole Content-Length, 1 otherwise.
"""
import socket
import sys
import time
import urllib.parse

CHUNK = 16384


def fail(msg):
    print("slow-get: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(url):
    u = urllib.parse.urlsplit(url)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * CHUNK)  # before connect: the window
    s.settimeout(30)
    s.connect((u.hostname, u.port or 80))
    s.sendall(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (u.path.encode(), u.netloc.encode()))
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(CHUNK)
        if not chunk:
            fail("closed in the headers: %r" % data[:200])
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    if not lines[0].startswith("HTTP/1.") or lines[0].split()[1] != "200":
        fail("status %r" % lines[0])
    length = [int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")]
    if not length:
        fail("no Content-Length")
    return length[0], body


def main():
    url, path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    s = connect(url)
    length, body = read_head(s)
    got, t0 = 0, time.monotonic()
    with open(path, "wb", buffering=0) as out:
        while True:
            out.write(body)
            got += len(body)
            if got >= length:
                break
            time.sleep(max(0.0, t0 + got / rate - time.monotonic()))
            body = s.recv(CHUNK)
            if not body:
                fail("closed after %d of %d bytes" % (got, length))
    if got != length:
        fail("%d bytes, Content-Length %d" % (got, length))


if __name__ == "__main__":
    main()
