#!/usr/bin/python3
"""A raw TFTP client for netbootd's integration test: crafted and misbehaving
clients that real tools cannot play.  Run with Debian's /usr/bin/python3.

usage: tftp-client.py PORT SCENARIO [ARGS...]
Exit 0 when the server behaved, 1 (with a message) when it did not.
Only ever talks to 127.0.0.1.
"""
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def req(op, name, mode="octet", opts=()):
    b = struct.pack("!H", op) + name.encode() + b"\0" + mode.encode() + b"\0"
    for k, v in opts:
        b += k.encode() + b"\0" + str(v).encode() + b"\0"
    return b


def ack(n):
    return struct.pack("!HH", ACK, n & 0xFFFF)


def sock(timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(timeout)
    return s


def recv(s):
    data, addr = s.recvfrom(70000)
    (op,) = struct.unpack("!H", data[:2])
    return op, data, addr


def parse_oack(data):
    parts = data[2:].split(b"\0")[:-1]
    return {parts[i].decode().lower(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2)}


def expect_error(s, code):
    op, data, addr = recv(s)
    if op != ERROR:
        fail("expected ERROR %d, got opcode %d" % (code, op))
    (got,) = struct.unpack("!H", data[2:4])
    msg = data[4:].rstrip(b"\0").decode(errors="replace")
    if got != code:
        fail("expected ERROR %d, got ERROR %d %r" % (code, got, msg))
    return msg, addr


def quiet_for(s, secs):
    """Return the packets that arrive within secs."""
    got = []
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return got
        s.settimeout(left)
        try:
            got.append(recv(s))
        except socket.timeout:
            return got


def fetch(s, server, first=None, dup_acks=False, blksize=512):
    """Lockstep download starting at 'first' (op, data, addr).  Returns
    (bytes, number of DATA packets received)."""
    out = bytearray()
    expect = 1
    ndata = 0
    pkt = first
    while True:
        if pkt is None:
            pkt = recv(s)
        op, data, addr = pkt
        pkt = None
        if addr != server:
            fail("packet from %s, expected %s" % (addr, server))
        if op != DATA:
            fail("expected DATA, got opcode %d" % op)
        ndata += 1
        (blk,) = struct.unpack("!H", data[2:4])
        if blk != expect & 0xFFFF:
            fail("DATA block %d, expected %d" % (blk, expect & 0xFFFF))
        out += data[4:]
        for _ in range(2 if dup_acks else 1):
            s.sendto(ack(blk), server)
        if len(data) - 4 < blksize:
            return bytes(out), ndata
        expect += 1


def sc_error(port, name, code, mode="octet", op=RRQ):
    s = sock()
    s.sendto(req(op, name, mode), (HOST, port))
    msg, addr = expect_error(s, int(code))
    if addr[1] == port:
        fail("ERROR came from the listening port, expected a new transfer ID")
    print("ok: %r -> ERROR %s %r" % (name, code, msg))


def sc_wrq(port, name):
    sc_error(port, name, 2, op=WRQ)


def sc_garbage(port):
    s = sock()
    for junk in (b"", b"\x00", b"\xff\xff\xff", b"\x00\x03\x00\x01hello", b"\x00\x01no-nul",
                 b"\x00\x01f\x00bogus-mode\x00", b"\x00\x05\x00\x00"):
        s.sendto(junk, (HOST, port))
    # The DATA packet gets ERROR 4; the malformed RRQ too.  Drain.
    quiet_for(s, 0.5)
    print("ok: garbage sent")


def sc_dupack(port, name, expect_len):
    s = sock()
    s.sendto(req(RRQ, name), (HOST, port))
    first = recv(s)
    data, ndata = fetch(s, first[2], first, dup_acks=True)
    extra = quiet_for(s, 1.5)
    nblocks = int(expect_len) // 512 + 1
    if len(data) != int(expect_len):
        fail("got %d bytes, expected %s" % (len(data), expect_len))
    if ndata != nblocks or extra:
        fail("%d DATA packets + %d after the end, expected exactly %d" % (ndata, len(extra), nblocks))
    print("ok: every ACK sent twice, %d DATA packets for %d blocks, none extra" % (ndata, nblocks))


def sc_retransmit(port, name, retries):
    retries = int(retries)
    s = sock()
    s.sendto(req(RRQ, name), (HOST, port))
    pkts = [recv(s)] + quiet_for(s, retries + 3.5)
    times = []
    for op, data, addr in pkts:
        if op != DATA or struct.unpack("!H", data[2:4])[0] != 1:
            fail("expected only DATA 1, got opcode %d" % op)
    if len(pkts) != retries + 1:
        fail("DATA 1 arrived %d times, expected %d (1 + %d retransmits)" % (len(pkts), retries + 1, retries))
    print("ok: DATA 1 sent %d times without ACK, then the server gave up" % len(pkts))


def sc_retransmit_timing(port, name):
    """No ACK: the resend comes after the timeout (1 s), not at once, and
    before twice the timeout.  Timed from the RRQ: the server's timer starts
    after it, so a late wake-up here cannot make it look early; a timer
    fires late, never early, and the upper margin is for a loaded machine."""
    s = sock()
    t0 = time.monotonic()
    s.sendto(req(RRQ, name), (HOST, port))
    recv(s)
    op, data, server = recv(s)
    dt = time.monotonic() - t0
    if op != DATA or not 0.7 < dt < 2.0:
        fail("resend %.2f s after the RRQ (opcode %d), expected DATA 1 after ~1 s" % (dt, op))
    fetch(s, server, (op, data, server))
    print("ok: DATA 1 resent %.2f s after the RRQ, then the transfer completed" % dt)


def sc_client_error(port, name):
    s = sock()
    s.sendto(req(RRQ, name), (HOST, port))
    op, data, server = recv(s)
    s.sendto(struct.pack("!HH", ERROR, 0) + b"changed my mind\0", server)
    extra = quiet_for(s, 2.5)
    if extra:
        fail("%d packets after the client's ERROR" % len(extra))
    print("ok: client ERROR ends the session quietly")


def sc_unknown_tid(port, name, expect_len):
    s = sock()
    other = sock()
    s.sendto(req(RRQ, name), (HOST, port))
    first = recv(s)
    server = first[2]
    other.sendto(ack(1), server)
    msg, addr = expect_error(other, 5)
    if addr != server:
        fail("ERROR 5 came from %s, expected %s" % (addr, server))
    data, _ = fetch(s, server, first)
    if len(data) != int(expect_len):
        fail("transfer after the stray ACK: %d bytes, expected %s" % (len(data), expect_len))
    print("ok: foreign TID got ERROR 5 %r, transfer went on (%d bytes)" % (msg, len(data)))


def sc_oack(port, name, expect_len):
    s = sock()
    s.sendto(req(RRQ, name, opts=[("BlkSize", 9000), ("tsize", 0), ("timeout", 2),
                                  ("windowsize", 0), ("bogus", 1)]), (HOST, port))
    op, data, server = recv(s)
    if op != OACK:
        fail("expected OACK, got opcode %d" % op)
    o = parse_oack(data)
    want = {"blksize": "1468", "tsize": str(expect_len), "timeout": "2"}
    if o != want:
        fail("OACK %r, expected %r" % (o, want))
    # Duplicate ACK 0 must not double block 1.
    s.sendto(ack(0), server)
    s.sendto(ack(0), server)
    got, n = fetch(s, server, blksize=1468)
    if len(got) != int(expect_len) or quiet_for(s, 0.5):
        fail("after OACK: %d bytes, expected %s, or extra packets" % (len(got), expect_len))
    print("ok: OACK %r, blksize clamped to 1468, windowsize 0 ignored" % o)


def sc_window(port, name, expect_len):
    """windowsize 4: ACK the 2nd block of the first window as if 3 was lost;
    the server must resend from 3."""
    s = sock()
    s.sendto(req(RRQ, name, opts=[("windowsize", 4)]), (HOST, port))
    op, data, server = recv(s)
    if op != OACK or parse_oack(data) != {"windowsize": "4"}:
        fail("expected OACK windowsize 4, got %r" % data)
    s.sendto(ack(0), server)
    blocks = [struct.unpack("!H", recv(s)[1][2:4])[0] for _ in range(4)]
    if blocks != [1, 2, 3, 4]:
        fail("first window %r" % blocks)
    s.sendto(ack(2), server)
    blocks = [struct.unpack("!H", recv(s)[1][2:4])[0] for _ in range(4)]
    if blocks != [3, 4, 5, 6]:
        fail("after ACK 2 the window was %r, expected [3, 4, 5, 6]" % blocks)
    s.sendto(ack(6), server)
    s.sendto(ack(6), server)  # duplicate: no effect
    blocks = [struct.unpack("!H", recv(s)[1][2:4])[0] for _ in range(4)]
    if blocks != [7, 8, 9, 10]:
        fail("after ACK 6 the window was %r" % blocks)
    if quiet_for(s, 0.3):
        fail("extra packets after a duplicate ACK")
    s.sendto(struct.pack("!HH", ERROR, 0) + b"done\0", server)
    print("ok: windowsize 4 slides on ACK 2 (resend from 3) and ACK 6, duplicate ignored")


def sc_hold(port, name, secs):
    """Start a transfer and never ACK: holds a session until the server gives up."""
    s = sock()
    s.sendto(req(RRQ, name), (HOST, port))
    op, data, addr = recv(s)
    if op != DATA:
        fail("expected DATA, got opcode %d" % op)
    print("ok: holding a session")
    quiet_for(s, float(secs))


def to_netascii(data):
    """RFC 1350's netascii, independently of the server: CR -> CR NUL, LF -> CR LF."""
    return data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


def fetch_windows(s, server, blksize, window):
    """Windowed download from DATA 1 on, ACKing the last block of each window.
    Once, the first window is ACKed only up to its first block (the server must
    resend from the second); once, a window is not ACKed at all (the server
    resends it after its timeout).  Every block that arrives again must be the
    same bytes.  server None: the first DATA's source.  Returns (data, number
    of blocks received again)."""
    seen, again, acked = {}, 0, 0
    tricks = (["partial"] if window >= 2 else []) + ["timeout"]
    while True:
        n, short = acked, False
        while n < acked + window and not short:
            op, data, addr = recv(s)
            server = server or addr
            if addr != server or op != DATA:
                fail("expected DATA from %s, got opcode %d from %s" % (server, op, addr))
            (blk,) = struct.unpack("!H", data[2:4])
            if blk != (n + 1) & 0xFFFF:
                fail("DATA %d, expected %d" % (blk, (n + 1) & 0xFFFF))
            n += 1
            if n in seen:
                again += 1
                if seen[n] != data[4:]:
                    fail("block %d resent with different bytes" % n)
            seen[n] = data[4:]
            short = len(data) - 4 < blksize
        if tricks and not short:
            if tricks.pop(0) == "partial":  # the server resends from acked + 1
                acked += 1
                s.sendto(ack(acked), server)
            continue  # "timeout": no ACK, the same window comes again
        s.sendto(ack(n), server)
        acked = n
        if short:
            return b"".join(seen[i] for i in range(1, n + 1)), again


def sc_netascii(port, name, src, blksize, window, tsize):
    """netascii RRQ with blksize/windowsize/tsize ("-" for none): the wire
    bytes are the source file converted, tsize its converted size, and
    retransmitted blocks (after a partial ACK and after a timeout) the same."""
    with open(src, "rb") as f:
        want = to_netascii(f.read())
    opts = []
    if blksize != "-":
        opts.append(("blksize", blksize))
    if window != "-":
        opts.append(("windowsize", window))
    if tsize != "-":
        opts.append(("tsize", 0))
    blk = int(blksize) if blksize != "-" else 512
    s = sock()
    s.sendto(req(RRQ, name, "netascii", opts), (HOST, port))
    if opts:
        op, data, server = recv(s)
        o = parse_oack(data) if op == OACK else None
        exp = {k: str(v) for k, v in opts}
        if "tsize" in exp:
            exp["tsize"] = str(len(want))
        if o != exp:
            fail("OACK %r, expected %r" % (o, exp))
        s.sendto(ack(0), server)
    else:
        server = None  # DATA 1 comes at once, from the session's port
    got, again = fetch_windows(s, server, blk, int(window) if window != "-" else 1)
    if got != want:
        fail("%d bytes on the wire, expected the %d of the conversion (first difference at %d)"
             % (len(got), len(want), next((i for i in range(min(len(got), len(want)))
                                          if got[i] != want[i]), min(len(got), len(want)))))
    if quiet_for(s, 0.3):
        fail("extra packets after the last block")
    print("ok: %d netascii bytes for %s (blksize %d), %d blocks resent identically"
          % (len(got), name, blk, again))


def sc_netascii_notsize(port, name):
    """A netascii file over the tsize scan bound (1 MiB): tsize is not answered."""
    s = sock()
    s.sendto(req(RRQ, name, "netascii", [("tsize", 0), ("blksize", 1468)]), (HOST, port))
    op, data, server = recv(s)
    if op != OACK or parse_oack(data) != {"blksize": "1468"}:
        fail("expected OACK blksize 1468 without tsize, got opcode %d %r" % (op, data))
    s.sendto(struct.pack("!HH", ERROR, 0) + b"enough\0", server)
    s = sock()
    s.sendto(req(RRQ, name, "netascii", [("tsize", 0)]), (HOST, port))
    op, data, server = recv(s)
    if op != DATA or struct.unpack("!H", data[2:4])[0] != 1 or len(data) != 4 + 512:
        fail("tsize alone: expected DATA 1 without an OACK, got opcode %d" % op)
    s.sendto(struct.pack("!HH", ERROR, 0) + b"enough\0", server)
    print("ok: no tsize for %s in netascii: OACK without it, or no OACK" % name)


SCENARIOS = {
    "error": sc_error, "wrq": sc_wrq, "garbage": sc_garbage, "dupack": sc_dupack,
    "retransmit": sc_retransmit, "retransmit-timing": sc_retransmit_timing,
    "client-error": sc_client_error, "unknown-tid": sc_unknown_tid, "oack": sc_oack,
    "window": sc_window, "hold": sc_hold, "netascii": sc_netascii,
    "netascii-notsize": sc_netascii_notsize,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[2] not in SCENARIOS:
        print(__doc__)
        sys.exit(2)
    try:
        SCENARIOS[sys.argv[2]](int(sys.argv[1]), *sys.argv[3:])
    except socket.timeout:
        fail("timed out waiting for the server")
