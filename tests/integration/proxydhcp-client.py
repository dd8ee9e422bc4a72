#!/usr/bin/python3
"""Crafted PXE / HTTP Boot clients for tests/integration/test-proxydhcp.sh.

  proxydhcp-client.py run IFACE SERVER CLIENT_ADDR [OTHER_IFACE]
                                  run every case, check replies; with OTHER_IFACE
                                  also send a DISCOVER there, which must get no answer
  proxydhcp-client.py corpus DIR                     write fuzz seeds (tests/fuzz/corpus/dhcp)
  proxydhcp-client.py probe IFACE SERVER CLIENT_ADDR MAC yes|no
                                  one iPXE DISCOVER from MAC: an offer of its
                                  /ipxe/ URL must (yes) or must not (no) come back
  proxydhcp-client.py ask IFACE SERVER CLIENT_ADDR MAC ipxe|pxe|http ARCH
                                  one DISCOVER of that kind and option-93 arch
                                  from MAC: prints the boot file offered, or
                                  "none" when no answer came

'run' sends DISCOVERs the way firmware does (from 0.0.0.0:68 to
255.255.255.255:67, through scapy on IFACE), REQUESTs to the PXE port from a
bound socket, and checks each reply field by field with its own option
parser (independent of lib/dhcp-packet.c).  It prints one line per check
and exits 1 if any failed.  The transaction ids it uses are printed at the
end as EXPECT lines (xid, message type, boot file) for the capture checks of
the shell script.
"""
import select
import socket
import struct
import sys
import time

IP_PKTINFO = 8
HTTP_PORT = 8090
COOKIE = b"\x63\x82\x53\x63"
UUID = bytes([0x00]) + bytes(range(0x10, 0x20))
UUID_TEXT = "10111213-1415-1617-1819-1a1b1c1d1e1f"  # as the script URL carries it


def opt(code, data):
    return bytes([code, len(data)]) + data


def vendor_class(kind, arch, undi):
    return ("%s:Arch:%05d:UNDI:%s" % (kind, arch, undi)).encode()


def header(xid, mac, flags=0, ciaddr="0.0.0.0", giaddr="0.0.0.0", op=1, hlen=6):
    return (struct.pack("!BBBBIHH", op, 1, hlen, 0, xid, 4, flags)
            + socket.inet_aton(ciaddr) + bytes(4) + bytes(4) + socket.inet_aton(giaddr)
            + mac + bytes(10) + bytes(64) + bytes(128) + COOKIE)


def ipxe_opts(msg, arch, undi, rfc3004):
    uc = b"\x04iPXE" if rfc3004 else b"iPXE"
    return (opt(53, bytes([msg])) + opt(57, b"\x05\xc0") + opt(93, struct.pack("!H", arch))
            + opt(94, b"\x01\x02\x01") + opt(60, vendor_class("PXEClient", arch, undi))
            + opt(77, uc)
            + opt(55, bytes([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130,
                             131, 132, 133, 134, 135, 175, 203]))
            + opt(175, b"\x13\x01\x01\x11\x01\x01") + opt(97, UUID) + b"\xff")


def firmware_opts(msg, kind, arch, uuid=True):
    o = opt(53, bytes([msg])) + opt(57, b"\x05\xc0")
    o += opt(55, bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50,
                        51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]))
    if uuid:
        o += opt(97, UUID)
    o += opt(94, b"\x01\x03\x00") + opt(93, struct.pack("!H", arch))
    o += opt(60, vendor_class(kind, arch, "003000")) + b"\xff"
    return o


def plain_opts():
    return (opt(53, b"\x01") + opt(61, b"\x01" + bytes(6)) + opt(57, b"\x02\x40")
            + opt(55, bytes([1, 3, 6, 12, 15, 28, 42])) + opt(60, b"udhcp 1.35.0") + b"\xff")


def mac_of(n):
    return bytes([0x52, 0x54, 0x00, 0x77, 0x00, n])


def mac_hyphens(mac):
    return "-".join("%02x" % b for b in mac)


# Each case: the request bytes, how it is sent, and what must come back.
def cases(server, client, other=None):
    c = []

    def add(name, xid, mac, payload, send, expect):
        c.append(dict(name=name, xid=xid, mac=mac, payload=payload, send=send, expect=expect))

    def ipxe_script(m, arch):
        """The script URL carries the arch and UUID ProxyDHCP saw."""
        return "http://%s:%d/ipxe/%s?arch=%s&uuid=%s" % (server, HTTP_PORT, mac_hyphens(m), arch,
                                                        UUID_TEXT)
    m = mac_of(1)
    add("iPXE ROM under SeaBIOS (arch 0, raw user class)", 0x77000001, m,
        header(0x77000001, m) + ipxe_opts(1, 0, "002001", False), "bcast",
        dict(type=2, file=ipxe_script(m, "bios"), vc=b"PXEClient", uuid=True, o43=None,
             dst="255.255.255.255", port=68))
    m = mac_of(2)
    add("BIOS PXE ROM (arch 0, no iPXE)", 0x77000002, m,
        header(0x77000002, m, flags=0x8000) + firmware_opts(1, "PXEClient", 0), "bcast",
        dict(type=2, file="undionly.kpxe", vc=b"PXEClient", uuid=True, o43=b"\x06\x01\x08\xff",
             dst="255.255.255.255", port=68, flags=0x8000))
    m = mac_of(3)
    add("iPXE EFI (arch 7, RFC 3004 user class)", 0x77000003, m,
        header(0x77000003, m) + ipxe_opts(1, 7, "003010", True), "bcast",
        dict(type=2, file=ipxe_script(m, "efi-x86_64"), vc=b"PXEClient", uuid=True, o43=None,
             dst="255.255.255.255", port=68))
    m = mac_of(4)
    add("OVMF PXE DISCOVER (arch 7)", 0x77000004, m,
        header(0x77000004, m) + firmware_opts(1, "PXEClient", 7), "bcast",
        dict(type=2, file="ipxe.efi", vc=b"PXEClient", uuid=True, o43=None,
             dst="255.255.255.255", port=68))
    add("OVMF PXE REQUEST to port 4011 from port 4011", 0x77000014, m,
        header(0x77000014, m, ciaddr=client) + firmware_opts(3, "PXEClient", 7), "pxe4011",
        dict(type=5, file="ipxe.efi", vc=b"PXEClient", uuid=True, o43=None, dst=client,
             port=4011, ciaddr=client))
    m = mac_of(5)
    add("iPXE REQUEST to port 4011 from port 68", 0x77000005, m,
        header(0x77000005, m, ciaddr=client) + ipxe_opts(3, 7, "003010", False), "pxe68",
        dict(type=5, file=ipxe_script(m, "efi-x86_64"), vc=b"PXEClient", uuid=True, o43=None,
             dst=client, port=68, ciaddr=client))
    m = mac_of(6)
    add("UEFI HTTP Boot (arch 16)", 0x77000006, m,
        header(0x77000006, m) + firmware_opts(1, "HTTPClient", 16), "bcast",
        dict(type=2, file="http://%s:%d/boot/ipxe.efi" % (server, HTTP_PORT), vc=b"HTTPClient",
             uuid=True, o43=None, dst="255.255.255.255", port=68))
    m = mac_of(7)
    add("plain DHCP client (not PXE)", 0x77000007, m, header(0x77000007, m) + plain_opts(),
        "bcast", None)
    m = mac_of(8)
    add("ARM 32-bit UEFI PXE (arch 10, no loader)", 0x77000008, m,
        header(0x77000008, m) + firmware_opts(1, "PXEClient", 10, uuid=False), "bcast", None)
    m = mac_of(9)
    add("relayed DISCOVER (giaddr set)", 0x77000009, m,
        header(0x77000009, m, giaddr=client) + firmware_opts(1, "PXEClient", 7), "relay",
        dict(type=2, file="ipxe.efi", vc=b"PXEClient", uuid=True, o43=None, dst=client, port=67,
             giaddr=client))
    m = mac_of(10)
    good = header(0x7700000a, m) + firmware_opts(1, "PXEClient", 7)
    add("malformed DISCOVER (option 60 runs past the end)", 0x7700000a, m,
        good[:-20], "bcast", None)
    add("malformed DISCOVER (no magic cookie)", 0x7700000a, m,
        good[:236] + b"\x00\x00\x00\x00" + good[240:], "bcast", None)
    add("well-formed DISCOVER after the malformed ones", 0x7700000b, m,
        header(0x7700000b, m) + firmware_opts(1, "PXEClient", 7), "bcast",
        dict(type=2, file="ipxe.efi", vc=b"PXEClient", uuid=True, o43=None,
             dst="255.255.255.255", port=68))
    m = mac_of(12)
    add("DISCOVER with ciaddr set (unicast reply)", 0x7700000c, m,
        header(0x7700000c, m, ciaddr=client) + ipxe_opts(1, 0, "002001", False), "bcast",
        dict(type=2, file=ipxe_script(m, "bios"), vc=b"PXEClient", uuid=True, o43=None,
             dst=client, port=68))
    if other is not None:
        m = mac_of(13)
        add("iPXE DISCOVER on an interface not in 'interfaces'", 0x7700000d, m,
            header(0x7700000d, m) + ipxe_opts(1, 0, "002001", False), "other", None)
    return c


def corpus_seeds():
    """Seeds: every case above, plus truncated and malformed variants."""
    seeds = {}
    for i, c in enumerate(cases("10.77.0.1", "10.77.0.2")):
        slug = "".join(ch if ch.isalnum() else "-" for ch in c["name"].lower())
        slug = "-".join(w for w in slug.split("-") if w)[:48]
        seeds["%02d-%s" % (i, slug)] = c["payload"]
    m = mac_of(1)
    disc = header(1, m) + ipxe_opts(1, 0, "002001", False)
    seeds["truncated-header"] = disc[:100]
    seeds["truncated-cookie"] = disc[:238]
    seeds["cookie-only"] = disc[:240]
    seeds["missing-end"] = disc[:-1]
    seeds["hlen-17"] = disc[:2] + b"\x11" + disc[3:]
    seeds["bootp-reply"] = b"\x02" + disc[1:]
    seeds["odd-arch-length"] = header(2, m) + opt(53, b"\x01") + opt(93, b"\x00") + opt(
        60, b"PXEClient") + b"\xff"
    seeds["long-option-past-end"] = header(3, m) + opt(53, b"\x01") + b"\x3c\xff" + b"PXE"
    seeds["overload-file-sname"] = (header(4, m)[:44] + opt(77, b"iPXE") + b"\xff"
                                    + bytes(64 - 7) + opt(60, b"PXEClient:Arch:00007")
                                    + opt(93, b"\x00\x07") + b"\xff" + bytes(128 - 27)
                                    + COOKIE + opt(53, b"\x01") + opt(52, b"\x03") + b"\xff")
    seeds["infiniband-ipxe"] = header(5, bytes(16), hlen=0) + ipxe_opts(1, 0, "002001", False)
    seeds["empty"] = b""
    return seeds


def parse_reply(data):
    """Our own reading of a reply: fixed fields and an option dict."""
    if len(data) < 240 or data[236:240] != COOKIE:
        raise ValueError("short reply or no magic cookie")
    op, htype, hlen, hops, xid, secs, flags = struct.unpack("!BBBBIHH", data[:12])
    r = dict(op=op, htype=htype, hlen=hlen, xid=xid, flags=flags,
             ciaddr=socket.inet_ntoa(data[12:16]), yiaddr=socket.inet_ntoa(data[16:20]),
             siaddr=socket.inet_ntoa(data[20:24]), giaddr=socket.inet_ntoa(data[24:28]),
             chaddr=data[28:28 + hlen], sname=data[44:108].rstrip(b"\0"),
             file=data[108:236].split(b"\0")[0].decode(), opts={}, end=False)
    i = 240
    while i < len(data):
        code = data[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            r["end"] = True
            break
        ln = data[i + 1]
        if i + 2 + ln > len(data):
            raise ValueError("option %d runs past the end" % code)
        r["opts"][code] = data[i + 2:i + 2 + ln]
        i += 2 + ln
    return r


class Client:
    def __init__(self, iface, server, client, other):
        self.iface, self.server, self.client, self.other = iface, server, client, other
        self.socks = {}
        for port in (68, 67, 4011):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            s.bind(("0.0.0.0", port))
            self.socks[port] = s
        self.failures = 0

    def check(self, what, ok):
        print("  %s: %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            self.failures += 1

    def send(self, case):
        how, payload = case["send"], case["payload"]
        if how in ("bcast", "other"):
            from scapy.all import Ether, IP, UDP, Raw, sendp
            pkt = (Ether(src=":".join("%02x" % b for b in case["mac"]), dst="ff:ff:ff:ff:ff:ff")
                   / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
                   / Raw(load=payload))
            sendp(pkt, iface=self.other if how == "other" else self.iface, verbose=False)
        elif how == "relay":
            self.socks[67].sendto(payload, (self.server, 67))
        elif how == "pxe4011":
            self.socks[4011].sendto(payload, (self.server, 4011))
        elif how == "pxe68":
            self.socks[68].sendto(payload, (self.server, 4011))

    def receive(self, xid, timeout):
        """The first reply with this xid: (data, local port, header dst address)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select(list(self.socks.values()), [], [], left)
            for s in ready:
                data, anc, _, src = s.recvmsg(2048, 256)
                dst = None
                for level, typ, val in anc:
                    if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                        dst = socket.inet_ntoa(val[8:12])
                if len(data) >= 8 and data[0] == 2 and struct.unpack("!I", data[4:8])[0] == xid:
                    return data, s.getsockname()[1], dst, src

    def run_case(self, case):
        print("case: %s (xid %#x)" % (case["name"], case["xid"]))
        self.send(case)
        exp = case["expect"]
        got = self.receive(case["xid"], 3.0 if exp else 1.5)
        if exp is None:
            self.check("no reply", got is None)
            return
        self.check("a reply arrived", got is not None)
        if got is None:
            return
        data, port, dst, src = got
        self.check("reply came from %s (got %s)" % (self.server, src[0]), src[0] == self.server)
        self.check("reply sent to %s:%d (got %s:%d)" % (exp["dst"], exp["port"], dst, port),
                   dst == exp["dst"] and port == exp["port"])
        try:
            r = parse_reply(data)
        except ValueError as e:
            self.check("reply parses (%s)" % e, False)
            return
        self.check_fields(case, exp, r)

    def check_fields(self, case, exp, r):
        srv = socket.inet_aton(self.server)
        self.check("op BOOTREPLY", r["op"] == 2)
        self.check("htype 1 hlen 6", r["htype"] == 1 and r["hlen"] == 6)
        self.check("chaddr echoed", r["chaddr"] == case["mac"])
        self.check("flags %#x (got %#x)" % (exp.get("flags", 0), r["flags"]),
                   r["flags"] == exp.get("flags", 0))
        self.check("yiaddr 0.0.0.0 (got %s)" % r["yiaddr"], r["yiaddr"] == "0.0.0.0")
        self.check("siaddr %s (got %s)" % (self.server, r["siaddr"]), r["siaddr"] == self.server)
        self.check("ciaddr %s (got %s)" % (exp.get("ciaddr", "0.0.0.0"), r["ciaddr"]),
                   r["ciaddr"] == exp.get("ciaddr", "0.0.0.0"))
        self.check("giaddr %s (got %s)" % (exp.get("giaddr", "0.0.0.0"), r["giaddr"]),
                   r["giaddr"] == exp.get("giaddr", "0.0.0.0"))
        self.check("file %r (got %r)" % (exp["file"], r["file"]), r["file"] == exp["file"])
        o = r["opts"]
        self.check("option 53 = %d (got %r)" % (exp["type"], o.get(53)),
                   o.get(53) == bytes([exp["type"]]))
        self.check("option 54 = server", o.get(54) == srv)
        self.check("option 60 = %r (got %r)" % (exp["vc"], o.get(60)), o.get(60) == exp["vc"])
        self.check("option 97 echoed", (o.get(97) == UUID) if exp["uuid"] else 97 not in o)
        self.check("option 43 = %r (got %r)" % (exp["o43"], o.get(43)), o.get(43) == exp["o43"])
        self.check("no address options (50, 51, 1, 3)", not any(k in o for k in (50, 51, 1, 3)))
        self.check("ends with END", r["end"])


def probe(argv):
    """One iPXE DISCOVER (arch 0) from the given MAC; check for an offer or silence."""
    iface, server, client, mac_s, want = argv
    mac = bytes.fromhex(mac_s.replace(":", "").replace("-", ""))
    xid = int.from_bytes(mac[2:], "big") & 0x7fffffff
    exp = None
    if want == "yes":
        exp = dict(type=2, file="http://%s:%d/ipxe/%s?arch=bios&uuid=%s"
                   % (server, HTTP_PORT, mac_hyphens(mac), UUID_TEXT),
                   vc=b"PXEClient", uuid=True, o43=None, dst="255.255.255.255", port=68)
    cl = Client(iface, server, client, None)
    cl.run_case(dict(name="iPXE DISCOVER from %s, answer expected: %s" % (mac_s, want),
                     xid=xid, mac=mac, payload=header(xid, mac) + ipxe_opts(1, 0, "002001", False),
                     send="bcast", expect=exp))
    print("%d failed checks" % cl.failures)
    return 1 if cl.failures else 0


def ask(argv):
    """One DISCOVER of a kind and arch; print what was offered."""
    iface, server, client, mac_s, kind, arch = argv
    mac = bytes.fromhex(mac_s.replace(":", "").replace("-", ""))
    xid = (int.from_bytes(mac[2:], "big") ^ int(arch) << 8) & 0x7fffffff
    if kind == "ipxe":
        opts = ipxe_opts(1, int(arch), "003010", True)
    else:
        opts = firmware_opts(1, "HTTPClient" if kind == "http" else "PXEClient", int(arch))
    cl = Client(iface, server, client, None)
    cl.send(dict(send="bcast", mac=mac, payload=header(xid, mac) + opts))
    got = cl.receive(xid, 3.0)
    print(parse_reply(got[0])["file"] if got else "none")
    return 0


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "probe":
        return probe(sys.argv[2:])
    if len(sys.argv) == 8 and sys.argv[1] == "ask":
        return ask(sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "corpus":
        import os
        for name, data in corpus_seeds().items():
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(data)
        return 0
    if len(sys.argv) not in (5, 6) or sys.argv[1] != "run":
        print(__doc__, file=sys.stderr)
        return 2
    other = sys.argv[5] if len(sys.argv) == 6 else None
    cl = Client(sys.argv[2], sys.argv[3], sys.argv[4], other)
    all_cases = cases(sys.argv[3], sys.argv[4], other)
    for case in all_cases:
        cl.run_case(case)
    for c in all_cases:
        if c["expect"]:
            print("EXPECT 0x%08x %d %s" % (c["xid"], c["expect"]["type"], c["expect"]["file"]))
    print("%d failed checks" % cl.failures)
    return 1 if cl.failures else 0


if __name__ == "__main__":
    sys.exit(main())
