#!/usr/bin/python3
"""A stand-in for netbootd's control socket, to test netbootctl alone.

usage: ctl-fake-daemon.py SOCKET LOG

Listens on the Unix socket SOCKET, serves one connection at a time, decodes
each request frame (4-byte big-endian length, 1..1 MiB of JSON), checks it
against the protocol (version 1, known command, args an object) and answers
with canned replies and events.  Every request payload is appended verbatim
as one line to LOG; "CANCELLED <name>" / "CLOSED watch" lines record the
client going away during add-image / watch.  Special names trigger
misbehaviour (see reply_*).  Plain socket module, no dependencies.
"""
import json
import os
import socket
import struct
import sys

MAX_FRAME = 1024 * 1024
COMMANDS = {"status", "images", "add-image", "remove-image", "machines", "assign",
            "unassign", "reinstall", "config-set", "config-get", "config-list", "config-default",
            "default-boot", "watch", "label", "profile-set", "profile-get", "profile-list",
            "profile-remove", "group-set", "group-get", "group-list", "group-remove", "apply",
            "export"}
T0 = 1714564800000  # 2024-05-01 12:00:00 UTC, in ms


class Closed(Exception):
    pass


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise Closed()
        buf += chunk
    return buf


def send_json(conn, obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    conn.sendall(struct.pack(">I", len(data)) + data)


def ok(conn, data):
    send_json(conn, {"ok": True, "data": data})


def err(conn, code, message):
    send_json(conn, {"ok": False, "error": {"code": code, "message": message}})


def event(conn, name, data):
    send_json(conn, {"event": name, "data": data})


def wait_closed(conn):
    """Block until the client closes the connection."""
    conn.settimeout(30)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def manifest(name, source, size=1048576, cmdline=None, assigned=None):
    m = {"name": name, "created": 1714564800, "source": source, "cmdline": cmdline,
         "files": {"kernel": {"size": size, "sha256": "ab" * 32},
                   "initrd": {"size": 2 * size, "sha256": "cd" * 32},
                   "rootfs.squashfs": {"size": 100 * size, "sha256": "ef" * 32}}}
    if source["type"] in ("file", "efi", "whole-iso"):
        iso = source["type"] == "whole-iso"
        m["kind"] = "iso" if iso else "efi"
        m["source"] = {"type": "file", "path": source["path"]}
        m["files"] = {"boot.iso" if iso else "boot.efi": {"size": size, "sha256": "ab" * 32}}
    if assigned is not None:
        m["assigned"] = assigned
    return m


def reply_add_image(conn, args, log):
    name = args["name"]
    if name == "bad-frame":
        conn.sendall(struct.pack(">I", 0))
        return
    if name == "huge-frame":
        conn.sendall(struct.pack(">I", 2 * MAX_FRAME) + b"{}")
        return
    if name == "garbage":
        data = b"this is not json"
        conn.sendall(struct.pack(">I", len(data)) + data)
        return
    if name == "cutoff":
        return
    if name == "exists":
        err(conn, "exists", 'Image "exists" exists already; use --force to replace it.')
        return
    if args["source"]["type"] in ("efi", "whole-iso"):
        ok(conn, manifest(name, args["source"]))
        return
    if args["source"]["type"] != "dir":
        err(conn, "unsupported", "Only directory sources are supported so far.")
        return
    if name == "slow":
        event(conn, "progress", {"phase": "copy", "file": "kernel", "done": 0, "total": 1000000})
        event(conn, "progress", {"phase": "copy", "file": "kernel", "done": 500000,
                                 "total": 1000000})
        wait_closed(conn)
        log.write("CANCELLED slow\n")
        return
    for i in range(101):
        event(conn, "progress", {"phase": "copy", "file": "kernel", "done": 10000 * i,
                                 "total": 1000000})
    for i in range(5):
        event(conn, "progress", {"phase": "copy", "file": "initrd", "done": 500000 * i,
                                 "total": 2000000})
    ok(conn, manifest(name, args["source"], cmdline=args.get("cmdline")))


def reply_watch(conn, args, log):
    macs = ["52:54:00:12:34:56", "52:54:00:00:00:99"]
    want = args.get("mac")
    # The shape of daemon/cmd.c cmd_event_to_json(); the last with a member of a newer daemon.
    evs = [{"mac": macs[0], "time": T0, "kind": "offer", "client": None, "detail": "ipxe.efi",
            "bytes": 0, "total": 0, "complete": False},
           {"mac": macs[1], "time": T0 + 1000, "kind": "loader", "client": "10.0.0.9",
            "detail": "ipxe.efi", "bytes": 1024, "total": 1024, "complete": True},
           {"mac": macs[0], "time": T0 + 2000, "kind": "kernel", "client": "10.0.0.5",
            "detail": "kairos", "bytes": 5000000, "total": 12345678, "complete": False},
           {"mac": macs[0], "time": T0 + 3000, "kind": "state", "client": None,
            "detail": "installing", "bytes": 0, "total": 0, "complete": True,
            "instance": "rack1-a", "hint": "a newer member", "gone": None,
            "note": 'say "hi"\x1b[31m'}]
    for e in evs:
        if want is None or e["mac"] == want:
            event(conn, "boot", e)
    event(conn, "future-event", {"x": 1})  # clients skip events they do not know
    if want == macs[1]:
        return  # the daemon "stops": the client sees the connection close
    wait_closed(conn)
    log.write("CLOSED watch\n")


STATUS = {"version": "0.1.0", "uptime_s": 93784, "images": 2, "machines": 3, "machines_fleet": 2,
          "configs": 2,
          "default_image": "kairos", "default_config": None, "default_boot": True,
          "tftp_sessions": 1, "http_connections": 3}

MACHINES = [
    {"mac": "52:54:00:12:34:56", "image": "kairos", "config": "web", "cmdline": "quiet",
     "cmdline_mode": "append", "labels": {"role": "cp", "zone": "a"}, "profile": None,
     "last_event": {"mac": "52:54:00:12:34:56", "time": T0, "kind": "kernel"},
     "lifecycle": {"state": "installed", "since": T0, "error": None, "installed_at": T0,
                   "group": None, "boots": 1, "installs": 1},
     "boot": {"action": "netboot", "image": "kairos", "from": "assigned", "group": None}},
    {"mac": "52:54:00:00:00:99", "image": None, "config": None, "cmdline": None,
     "cmdline_mode": "append", "labels": {}, "profile": "disk", "last_event": None,
     "boot": {"action": "local", "image": None, "from": "profile", "group": None}},
    {"mac": "52:54:00:00:00:a1", "image": None, "config": None, "cmdline": None,
     "cmdline_mode": "append", "labels": {}, "profile": None, "last_event": None,
     "boot": {"action": "netboot", "image": "kairos", "from": "group", "group": "lab"}},
    {"mac": "52:54:00:00:00:a2", "image": None, "config": None, "cmdline": None,
     "cmdline_mode": "append", "labels": {}, "profile": None, "last_event": None,
     "boot": {"action": "netboot", "image": "kairos", "from": "default", "group": None}},
]

PROFILES = [
    {"name": "disk", "image": None, "config": None, "cmdline": None, "cmdline_mode": "append",
     "loader": None, "action": "local"},
    {"name": "kairos-cp", "image": "kairos", "config": "cp", "cmdline": "console=ttyS1",
     "cmdline_mode": "append", "loader": None, "action": "netboot"},
]

GROUPS = [
    {"name": "default", "profile": "disk", "priority": 0,
     "match": {"mac": None, "uuid": None, "arch": None, "interface": None, "labels": {}}},
    {"name": "lab", "profile": "kairos-cp", "priority": 10,
     "match": {"mac": "52:54:00:*", "uuid": None, "arch": "efi-arm64", "interface": None,
               "labels": {"role": "cp"}}},
]


def reply_fleet(conn, cmd, args):
    """The fleet's commands: canned answers, and the errors of special names."""
    name = args.get("name")
    if cmd == "profile-set":
        if args.get("image") == "missing":
            err(conn, "invalid", 'profile "%s": no image "missing".' % name)
            return
        p = {"name": name, "image": None, "config": None, "cmdline": None,
             "cmdline_mode": "append", "loader": None, "action": "netboot"}
        p.update(args)
        ok(conn, p)
    elif cmd in ("profile-get", "group-get"):
        items = PROFILES if cmd == "profile-get" else GROUPS
        found = [i for i in items if i["name"] == name]
        if found:
            ok(conn, found[0])
        else:
            err(conn, "not-found", 'No such %s "%s".' % (cmd.split("-")[0], name))
    elif cmd == "profile-list":
        ok(conn, PROFILES)
    elif cmd == "group-list":
        ok(conn, GROUPS)
    elif cmd in ("profile-remove", "group-remove"):
        if name == "used":
            err(conn, "in-use", 'The profile "used" is in use by group "lab".')
        else:
            ok(conn, {"name": name})
    elif cmd == "group-set":
        ok(conn, {"name": name, "profile": args["profile"], "priority": args.get("priority", 0),
                  "match": args.get("match", {})})
    elif cmd == "label":
        labels = dict(args.get("set", {}))
        ok(conn, {"mac": args["mac"], "image": None, "config": None, "cmdline": None,
                  "cmdline_mode": "append", "labels": labels, "profile": None,
                  "last_event": None})
    elif cmd == "apply":
        changes = [] if "no-changes" in args["content"] else \
            ["+ profile kairos-cp", "~ group lab: priority 0 -> 10"]
        ok(conn, {"changes": changes, "applied": bool(changes) and not args.get("dry_run")})
    elif cmd == "export":
        ok(conn, {"content": "profiles:\n  disk: { action: local }\n"})


def reply(conn, cmd, args, log):
    name = args.get("name")
    if cmd == "status":
        ok(conn, STATUS)
    elif cmd == "images":
        ok(conn, [manifest("kairos", {"type": "dir", "path": "/srv/kairos"}, assigned=1),
                  manifest("ubuntu-24.04", {"type": "oci", "ref": "quay.io/kairos/ubuntu:24.04"},
                           size=3 * 1048576, assigned=0),
                  manifest("uki", {"type": "file", "path": "/srv/uki.efi"}, assigned=0)])
    elif cmd == "add-image":
        reply_add_image(conn, args, log)
    elif cmd == "remove-image":
        if name == "used":
            err(conn, "in-use", 'Image "used" is assigned to 2 machines; use --force.')
        elif name == "missing":
            err(conn, "not-found", 'No image "missing".')
        else:
            ok(conn, {"name": name})
    elif cmd == "machines":
        ok(conn, MACHINES)
    elif cmd == "assign":
        if args["image"] == "missing":
            err(conn, "not-found", 'No image "missing".')
            return
        ok(conn, {"mac": args["mac"], "image": args["image"], "config": args.get("config"),
                  "cmdline": args.get("cmdline"), "cmdline_mode": args.get("cmdline_mode"),
                  "last_event": None})
    elif cmd == "unassign":
        ok(conn, {"mac": args["mac"]})
    elif cmd == "reinstall":
        ok(conn, [args["mac"]] if "mac" in args else
           ["52:54:00:00:00:01", "52:54:00:00:00:02"] if args["group"] == "edge" else [])
    elif cmd == "config-set":
        if name == "denied":
            err(conn, "permission-denied", "Changing state needs uid 0 or group netboot.")
        elif not args["content"].startswith("#cloud-config"):
            err(conn, "invalid", 'The first line must be "#cloud-config".')
        else:
            ok(conn, {"name": name, "size": len(args["content"].encode())})
    elif cmd == "config-get":
        if name == "missing":
            err(conn, "not-found", 'No config "missing".')
        else:
            ok(conn, {"name": name, "content": "#cloud-config\nhostname: {{hostname}}\n"})
    elif cmd == "config-list":
        ok(conn, [{"name": "web", "size": 120, "default": False},
                  {"name": "base", "size": 4096, "default": True}])
    elif cmd == "config-default":
        ok(conn, {"name": name})
    elif cmd == "default-boot":
        ok(conn, {"enabled": args["enabled"]})
    elif cmd == "watch":
        reply_watch(conn, args, log)
    else:
        reply_fleet(conn, cmd, args)


def check_request(payload):
    """(command, args) or raises ValueError((code, message))."""
    try:
        req = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(("bad-json", "The request is not valid JSON."))
    if not isinstance(req, dict):
        raise ValueError(("bad-json", "The request is not a JSON object."))
    if req.get("version") != 1 or isinstance(req.get("version"), bool):
        raise ValueError(("bad-version", "Protocol version 1 is required."))
    if req.get("command") not in COMMANDS:
        raise ValueError(("unknown-command", "Unknown command."))
    args = req.get("args", {})
    if not isinstance(args, dict):
        raise ValueError(("bad-args", "The args of a request must be an object."))
    return req["command"], args


def serve(conn, log):
    header = recv_exact(conn, 4)
    (n,) = struct.unpack(">I", header)
    if n == 0 or n > MAX_FRAME:
        log.write("BAD-FRAME %d\n" % n)
        return
    payload = recv_exact(conn, n)
    log.write(payload.decode("utf-8", "replace") + "\n")
    log.flush()
    try:
        cmd, args = check_request(payload)
    except ValueError as e:
        err(conn, *e.args[0])
        return
    reply(conn, cmd, args, log)


def main():
    path, logpath = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    with open(logpath, "a", buffering=1) as log:
        while True:
            conn, _ = srv.accept()
            try:
                serve(conn, log)
            except (Closed, OSError):
                log.write("CLIENT-GONE\n")
            finally:
                log.flush()
                conn.close()


if __name__ == "__main__":
    main()
