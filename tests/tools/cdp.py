#!/usr/bin/python3
"""A minimal Chrome DevTools Protocol client (stdlib only) for the e2e tests.

  cdp.py PORT eval EXPRESSION     print the JSON value of EXPRESSION in the page
  cdp.py PORT screenshot FILE [WIDTH]
                                  save a PNG of the whole page to FILE; with
                                  WIDTH, as a phone of that many CSS pixels

PORT is Chromium's --remote-debugging-port on 127.0.0.1; the first page
target is used.  Exit status 1 when the browser or the page is not there.
"""
import base64, json, os, socket, struct, sys, urllib.request


def target(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
        pages = [t for t in json.load(r) if t.get("type") == "page"]
    if not pages:
        raise OSError("no page")
    return pages[0]["webSocketDebuggerUrl"]


def connect(url):
    hostport, path = url[len("ws://"):].split("/", 1)
    host, port = hostport.split(":")
    s = socket.create_connection((host, int(port)), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise OSError("handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise OSError("handshake: %r" % head[:80])
    return s


def send(s, text):
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                          if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("closed")
        buf += chunk
    return buf


def recv(s):
    msg = b""
    while True:
        b0, b1 = recv_exact(s, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", recv_exact(s, 2))[0]
        elif n == 127:
            n = struct.unpack(">Q", recv_exact(s, 8))[0]
        msg += recv_exact(s, n)
        if b0 & 0x80:
            return msg.decode()


SEQ = [0]


def call(s, method, params):
    SEQ[0] += 1
    send(s, json.dumps({"id": SEQ[0], "method": method, "params": params}))
    while True:
        m = json.loads(recv(s))
        if m.get("id") == SEQ[0]:
            if "error" in m:
                raise OSError(m["error"])
            return m["result"]


def main():
    port, cmd, arg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    try:
        s = connect(target(port))
        if cmd == "eval":
            r = call(s, "Runtime.evaluate", {"expression": arg, "returnByValue": True})
            print(json.dumps(r["result"].get("value")))
        else:
            if len(sys.argv) > 4:
                w = int(sys.argv[4])
                call(s, "Emulation.setDeviceMetricsOverride",
                     {"width": w, "height": w * 2, "deviceScaleFactor": 2, "mobile": True})
            r = call(s, "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            open(arg, "wb").write(base64.b64decode(r["data"]))
    except (OSError, ValueError) as e:
        print("cdp: %s" % e, file=sys.stderr)
        sys.exit(1)


main()
