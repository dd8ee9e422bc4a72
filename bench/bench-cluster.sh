#!/bin/bash
# Three netbootd sharing one desired state in etcd (tests/lib/cluster.sh: a
# 3-member etcd 3.4 in a "core" namespace on a bridge, instances a, b, c in
# their own namespaces on it):
#
#  (a) propagation: ROUNDS times, a profile's command line changes in a
#      fleet file given to `netbootctl apply -f` on instance a; one poller
#      process per instance asks its HTTP /ipxe/<mac> every POLL_MS ms (one
#      keep-alive connection each, from the core namespace) until the script
#      carries the new command line.  Printed: the apply command's own time
#      and the time from its start and from its return until all three
#      serve the change (median, p99, max); the instances' debug log lines
#      (-d, stamped on arrival) split that time up;
#  (b) etcd traffic of three idle instances for IDLE seconds, scaled to one
#      minute: bytes both ways on the etcd client ports 23791-23793 through
#      the bridge (iptables counters in core, cross-checked by a tcpdump
#      capture), HTTP requests in the capture (tshark) by URI, and etcd's
#      grpc_server_started_total delta summed over the members;
#  (c) the floor: the same propagation with etcdctl alone: `etcdctl put` in
#      a's namespace, `etcdctl watch` running in a's, b's and c's; the time
#      from the put's return until all three watchers printed the value,
#      beside (a) as a ratio (netbootd / etcdctl); and a read-only command
#      of each (netbootctl status, etcdctl get): the cost of the process.
# No peer program does what netbootd does here; (c) is the floor set by etcd.
#
# usage: bench/bench-cluster.sh [BUILD-DIR]     (root; default build)
# env:   ROUNDS (20), IDLE (60 seconds), POLL_MS (2), GAP_MS (1000: pause
#        between rounds), KEEP=1 keeps the work directory (logs, capture)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../build}" && pwd)
NETBOOTD=$BUILD/daemon/netbootd
CTL=$BUILD/ctl/netbootctl
ROUNDS=${ROUNDS:-20}
IDLE=${IDLE:-60}
POLL_MS=${POLL_MS:-2}
GAP_MS=${GAP_MS:-1000}
MAC=52:54:00:be:00:01
PY=/usr/bin/python3
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# A benchmark fails loudly where a test would skip.
E2E_SKIP_IS_ERROR=1
E2E_NAME=bench-cluster
# shellcheck source=../tests/lib/cluster.sh
. "$HERE/../tests/lib/cluster.sh"
require_root
require_cmds etcd etcdctl curl ip xorriso jq perl iptables tcpdump tshark "$PY" "$NETBOOTD" "$CTL"

new_tmpdir netbootd-bench-cluster
T=$TMPDIR_NEW
CLUSTER_PREFIX=/bench/
CLUSTER_LOG_STAMP=1
CLUSTER_NETBOOTD_ARGS=(-d)
CORE_EXEC=(nsenter "--net=/run/netns/$CLUSTER_CORE" --)
[ -z "${KEEP:-}" ] || say "work directory $T (kept)"

say "starting the cluster: 3 etcd members, instances a b c"
cluster_setup "$T"
for m in 1 2 3; do cluster_etcd_start "$m"; done
wait_until 60 cluster_etcd_healthy || die "etcd is not healthy: $(tail -3 "$T/etcd1.log")"
cluster_start a
wait_until 20 cluster_synced a || die "a did not synchronise: $(tail -3 "$T/a.log")"
cluster_start b
cluster_start c
for i in b c; do wait_until 20 cluster_synced "$i" || die "$i did not synchronise"; done
wait_until 20 cluster_sees a 3 || die "a does not see three instances"
cluster_iso "$T"
quiet cluster_ctl a add-image kairos --iso "$T/kairos.iso"
for i in a b c; do wait_until 60 cluster_ready_on a kairos "$i" || die "kairos not ready on $i"; done

# CMD in the background, waited for: a signal to this script is handled at
# once, and the cleanup stops CMD (by its PID) when it still runs.
run_bg() {
	"$@" &
	local pid=$!
	track_child "$pid"
	wait "$pid"
}

# --- the driver: rounds of apply -f, or of etcdctl put ----------------------
cat >"$T/driver.py" <<'EOF'
import ctypes, http.client, json, multiprocessing, signal, subprocess, sys, threading, time

def die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

def poll_once(st, host, port, path):
    # one GET on the kept connection: (sent, answered, body), or None
    try:
        if st.get("conn") is None:
            st["conn"] = http.client.HTTPConnection(host, port, timeout=2)
        sent = time.time()
        st["conn"].request("GET", path)
        r = st["conn"].getresponse()
        body = r.read()
        if r.getheader("Connection", "").lower() == "close":
            st["conn"].close()
            st["conn"] = None
        return sent, time.time(), body
    except (OSError, http.client.HTTPException):
        if st.get("conn") is not None:
            st["conn"].close()
        st["conn"] = None
        return None

def poller(pipe, host, port, path, interval):
    # A process per instance (no shared interpreter lock): for each (token,
    # deadline) received, "polling" after the first answer, then [sent,
    # answered, last miss sent, polls] of the first answer with token.
    die_with_parent()
    st = {}
    while True:
        job = pipe.recv()
        if job is None:
            return
        token, deadline = job
        miss, n, hit, told = None, 0, None, False
        while hit is None and time.time() < deadline:
            got = poll_once(st, host, port, path)
            if got is not None:
                n += 1
                if token in got[2]:
                    hit = [got[0], got[1], miss if miss is not None else got[0], n]
                else:
                    miss = got[0]
                if not told:
                    pipe.send("polling")
                    told = True
            if hit is None:
                time.sleep(interval)
        if not told:
            pipe.send("polling")
        pipe.send(hit)

def fleet(path, value, mac):
    with open(path, "w") as f:
        f.write("profiles:\n  bench: {image: kairos, cmdline: \"bench=%s\"}\n" % value)
        f.write("groups:\n  gbench: {profile: bench, match: {mac: \"%s\"}}\n" % mac)

def netbootd_rounds(cfg):
    ctx = multiprocessing.get_context("fork")
    pipes, procs = {}, []
    for name, host in cfg["instances"].items():
        mine, theirs = ctx.Pipe()
        p = ctx.Process(target=poller, args=(theirs, host, cfg["port"], "/ipxe/" + cfg["mac"],
                                             cfg["poll"]))
        p.start()
        pipes[name] = mine
        procs.append(p)
    rows = []
    for n in range(cfg["rounds"]):
        value = "r%03d" % (n + 1)
        fleet(cfg["fleet"], value, cfg["mac"])
        for pipe in pipes.values():
            pipe.send((("bench=" + value).encode(), time.time() + 10))
        for pipe in pipes.values():
            pipe.recv()
        t0 = time.time()
        rc = subprocess.run(cfg["apply"] + [cfg["fleet"]], stdout=subprocess.DEVNULL).returncode
        t1 = time.time()
        seen = {name: pipe.recv() for name, pipe in pipes.items()}
        rows.append({"round": value, "rc": rc, "t0": t0, "t1": t1,
                     "seen": {k: v for k, v in seen.items() if v is not None}})
        time.sleep(cfg["gap"])
    for pipe in pipes.values():
        pipe.send(None)
    for p in procs:
        p.join()
    return rows

def etcd_rounds(cfg):
    lock = threading.Lock()
    seen = {name: {} for name in cfg["watchers"]}
    procs = []
    for name, cmd in cfg["watchers"].items():
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             preexec_fn=die_with_parent)
        procs.append(p)
        def reader(p=p, d=seen[name]):
            for line in p.stdout:
                now = time.time()
                with lock:
                    d.setdefault(line.strip().decode(), now)
        threading.Thread(target=reader, daemon=True).start()
    # a first put, until every watcher prints it: they are watching
    deadline = time.time() + 20
    while time.time() < deadline:
        subprocess.run(cfg["put"] + ["ready"], stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        with lock:
            if all("ready" in d for d in seen.values()):
                break
    rows = []
    for n in range(cfg["rounds"]):
        value = "r%03d" % (n + 1)
        t0 = time.time()
        rc = subprocess.run(cfg["put"] + [value], stdout=subprocess.DEVNULL).returncode
        t1 = time.time()
        end = t1 + 10
        while time.time() < end:
            with lock:
                if all(value in d for d in seen.values()):
                    break
            time.sleep(0.0005)
        with lock:
            got = {k: d[value] for k, d in seen.items() if value in d}
        rows.append({"round": value, "rc": rc, "t0": t0, "t1": t1, "seen": got})
        time.sleep(cfg["gap"])
    for p in procs:
        p.terminate()
        p.wait()
    return rows

def timed(argv, n):
    # n runs of a command that changes nothing: the process and one round trip
    out = []
    for _ in range(n):
        t0 = time.time()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        out.append(time.time() - t0)
    return out

cfg = json.load(open(sys.argv[1]))
readonly = timed(cfg["readonly"], cfg["rounds"])
rows = netbootd_rounds(cfg) if cfg["mode"] == "netbootd" else etcd_rounds(cfg)
json.dump({"readonly": readonly, "rows": rows}, sys.stdout, indent=1)
EOF

fleet_file() { # VALUE
	cat <<EOF
profiles:
  bench: {image: kairos, cmdline: "bench=$1"}
groups:
  gbench: {profile: bench, match: {mac: "$MAC"}}
EOF
}
serves() { cluster_script "$1" "$MAC" 2>/dev/null | grep -q "bench=$2"; }
fleet_file r000 >"$T/fleet.yaml"
quiet cluster_ctl a apply -f "$T/fleet.yaml"
for i in a b c; do wait_until 10 serves "$i" r000 || die "$i does not serve the fleet"; done

jq -n --arg ctl "$CTL" --arg sock "$T/a.sock" --arg fleet "$T/fleet.yaml" --arg mac "$MAC" \
	--argjson rounds "$ROUNDS" --argjson port "$CLUSTER_PORT" \
	--argjson poll "$POLL_MS" --argjson gap "$GAP_MS" \
	--arg a "${CLUSTER_IP[a]}" --arg b "${CLUSTER_IP[b]}" --arg c "${CLUSTER_IP[c]}" \
	'{mode: "netbootd", rounds: $rounds, fleet: $fleet, mac: $mac, port: $port,
	  poll: ($poll / 1000), gap: ($gap / 1000), apply: [$ctl, "-s", $sock, "apply", "-f"],
	  readonly: [$ctl, "-s", $sock, "status"],
	  instances: {a: $a, b: $b, c: $c}}' >"$T/netbootd.json"
say "(a) $ROUNDS rounds of apply -f on a, polling /ipxe/$MAC on a, b, c every $POLL_MS ms"
run_bg "${CORE_EXEC[@]}" "$PY" "$T/driver.py" "$T/netbootd.json" >"$T/netbootd-rounds.json"

in_ns() { printf '["nsenter","--net=/run/netns/%s","--","etcdctl","--endpoints","%s"' "$1" "$CLUSTER_EP"; }
jq -n --argjson rounds "$ROUNDS" --argjson gap "$GAP_MS" \
	--argjson put "$(in_ns "${CLUSTER_NS[a]}"),\"put\",\"/floor/key\"]" \
	--argjson get "$(in_ns "${CLUSTER_NS[a]}"),\"get\",\"/floor/key\"]" \
	--argjson wa "$(in_ns "${CLUSTER_NS[a]}"),\"watch\",\"/floor/key\"]" \
	--argjson wb "$(in_ns "${CLUSTER_NS[b]}"),\"watch\",\"/floor/key\"]" \
	--argjson wc "$(in_ns "${CLUSTER_NS[c]}"),\"watch\",\"/floor/key\"]" \
	'{mode: "etcd", rounds: $rounds, gap: ($gap / 1000), put: $put, readonly: $get,
	  watchers: {a: $wa, b: $wb, c: $wc}}' >"$T/etcd.json"
say "(c) $ROUNDS rounds of etcdctl put in a's namespace, etcdctl watch in a's, b's and c's"
run_bg "$PY" "$T/driver.py" "$T/etcd.json" >"$T/etcd-rounds.json"

# --- (b) idle traffic -------------------------------------------------------
in_core() { "${CORE_EXEC[@]}" "$@"; }
in_core iptables -w -A INPUT -i br0 -p tcp -m multiport --dports 23791:23793
in_core iptables -w -A OUTPUT -o br0 -p tcp -m multiport --sports 23791:23793
# iptables -L -v -x: "pkts bytes ..." of the two counting rules, as "pkts bytes"
ipt_count() { # CHAIN
	in_core iptables -w -L "$1" -v -x -n | awk '/multiport/ { p += $1; b += $2 } END { print p + 0, b + 0 }'
}
grpc_started() { # the sum of grpc_server_started_total over the members, by method
	local m
	for m in 1 2 3; do in_core curl -sf "http://10.77.0.1:2379$m/metrics"; done |
		awk '/^grpc_server_started_total/ { match($0, /grpc_method="[^"]*"/);
			s[substr($0, RSTART + 13, RLENGTH - 14)] += $NF } END { for (k in s) print k, s[k] }' | sort
}
sleep 2 # boot events of the last round flushed (at most one write per second)
# Not through a function: $! must be tcpdump (nsenter execs it).
"${CORE_EXEC[@]}" tcpdump -Z root -i br0 -n -s 0 -U -w "$T/idle.pcap" 'tcp portrange 23791-23793' \
	>"$T/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
track_child "$TCPDUMP_PID"
wait_until 5 grep -q 'listening on' "$T/tcpdump.log" || die "tcpdump did not start: $(cat "$T/tcpdump.log")"
grpc_started >"$T/grpc0"
in_core iptables -w -Z INPUT
in_core iptables -w -Z OUTPUT
say "(b) $IDLE s of three idle instances"
run_bg sleep "$IDLE"
read -r IN_P IN_B < <(ipt_count INPUT)
read -r OUT_P OUT_B < <(ipt_count OUTPUT)
grpc_started >"$T/grpc1"
sleep 0.2
stop_child "$TCPDUMP_PID" INT

# --- results ------------------------------------------------------------------
# The rounds, the stamped logs and the idle numbers go to one Python report.
tshark -r "$T/idle.pcap" -d tcp.port==23791-23793,http -Y http.request \
	-T fields -e http.request.uri 2>/dev/null | sort | uniq -c >"$T/idle-uris" || true
CAP_BYTES=$(tshark -r "$T/idle.pcap" -T fields -e frame.len 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
CAP_FRAMES=$(tshark -r "$T/idle.pcap" -T fields -e frame.len 2>/dev/null | wc -l)
"$PY" - "$T" "$IDLE" "$IN_P" "$IN_B" "$OUT_P" "$OUT_B" "$CAP_FRAMES" "$CAP_BYTES" "$POLL_MS" <<'EOF'
import json, re, sys

T, idle = sys.argv[1], float(sys.argv[2])
in_p, in_b, out_p, out_b, cap_frames, cap_bytes = map(int, sys.argv[3:9])
poll_ms = sys.argv[9]
scale = 60.0 / idle

def pct(v, q):
    v = sorted(v)
    if not v:
        return float("nan")
    i = min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))
    return v[i]

def stats(v):
    return "%7.1f %7.1f %7.1f" % (pct(v, 0.5) * 1000, pct(v, 0.99) * 1000, max(v) * 1000)

readonly = {}
def rounds(name):
    d = json.load(open("%s/%s-rounds.json" % (T, name)))
    rows, readonly[name] = d["rows"], d["readonly"]
    bad = [r["round"] for r in rows if r["rc"] != 0 or len(r["seen"]) != 3]
    if bad:
        sys.exit("bench-cluster: %s rounds %s failed or were not seen everywhere" % (name, bad))
    return rows

nb, fl = rounds("netbootd"), rounds("etcd")
# Served: the answer to the first poll that saw the change (netbootd), the
# watcher's line (etcdctl).  From the command's return: negative when before.
def served(r):
    return {k: (v[1] if isinstance(v, list) else v) for k, v in r["seen"].items()}
cmd = lambda rows: [r["t1"] - r["t0"] for r in rows]
after = lambda rows: [max(served(r).values()) - r["t1"] for r in rows]
since = lambda rows: [max(served(r).values()) - r["t0"] for r in rows]
# the poll's uncertainty: from the last miss sent to the hit answered
res = [v[1] - v[2] for r in nb for v in r["seen"].values()]

# Where the time goes: the stamped log lines of each netbootd round.
def stamps(inst, pattern):
    out = []
    for line in open("%s/%s.log" % (T, inst), errors="replace"):
        parts = line.split(" ", 1)
        m = re.search(pattern, parts[1]) if len(parts) == 2 else None
        if m:
            out.append((float(parts[0]), m.group(1) if m.groups() else None))
    return out

def first(events, lo):
    return next((e for e in events if lo <= e[0] < lo + 10), None)

conn = stamps("a", r"Control connection from uid")
applied = stamps("a", r"Applied the fleet file")
commit = stamps("a", r"Committed \d+ document\S* to etcd at revision (\d+)")
recv = {i: dict((rev, t) for t, rev in stamps(i, r"etcd revision (\d+): \d+ change")) for i in "bc"}
split = {k: [] for k in ("netbootctl start -> control connection on a",
                         "connection -> fleet applied on a",
                         "applied -> a has etcd's commit reply",
                         "commit reply -> apply returned",
                         "a serves it, from the commit reply",
                         "commit reply -> watch event on b, c",
                         "watch event -> served on b, c (poll)")}
keys = list(split)
for r in nb:
    c, ap, cm = first(conn, r["t0"]), first(applied, r["t0"]), first(commit, r["t0"])
    if c is None or ap is None or cm is None:
        continue
    sv = served(r)
    for k, v in zip(keys, (c[0] - r["t0"], ap[0] - c[0], cm[0] - ap[0], r["t1"] - cm[0],
                           sv["a"] - cm[0])):
        split[k].append(v)
    for i in "bc":
        w = recv[i].get(cm[1])
        if w is not None:
            split[keys[5]].append(w - cm[0])
            split[keys[6]].append(sv[i] - w)

def ratio(a, b):
    x, y = pct(a, 0.5), pct(b, 0.5)
    return "%5.1f" % (x / y) if y > 0.0005 and x > 0 else "    -"

print()
print("(a) and (c): %d changes each; ms (median, p99, max); ratio = netbootd / etcdctl medians" % len(nb))
print()
print("| %-44s | %-23s | %-23s | %-5s |" % ("", "netbootd: apply -f on a", "etcdctl: put, 3 watches", "ratio"))
print("| %-44s | %-23s | %-23s | %-5s |" % ("", " median     p99     max", " median     p99     max", ""))
print("|%s|%s|%s|%s|" % ("-" * 46, "-" * 25, "-" * 25, "-" * 7))
x, y = readonly["netbootd"], readonly["etcd"]
print("| %-44s | %-23s | %-23s | %s |" % ("read-only command: status / get", stats(x), stats(y), ratio(x, y)))
for what, f in (("the command's own time (start to exit)", cmd),
                ("command's start -> served by all three", since),
                ("command's return -> served by all three", after)):
    x, y = f(nb), f(fl)
    print("| %-44s | %-23s | %-23s | %s |" % (what, stats(x), stats(y), ratio(x, y)))
print()
print("Served: netbootd's first poll answer with the new command line (polls every %s ms asked;" % poll_ms)
print("last miss sent to hit answered: median %.1f ms, max %.1f ms); etcdctl's watch line." % (
    pct(res, 0.5) * 1000, max(res) * 1000))
print("Negative: before the command returned.")
print()
print("Where (a)'s time goes (ms: median, p99, max; stamped log lines of %d rounds):" % len(split[keys[0]]))
for k in keys:
    if split[k]:
        print("  %-44s %s" % (k, stats(split[k])))

print()
print("(b) etcd client traffic of three idle instances: %.0f s measured, per minute:" % idle)
print()
print("| %-42s | %-14s |" % ("what", "per minute"))
print("|%s|%s|" % ("-" * 44, "-" * 16))
print("| %-42s | %14.0f |" % ("bytes to etcd (IP, iptables INPUT)", in_b * scale))
print("| %-42s | %14.0f |" % ("bytes from etcd (IP, iptables OUTPUT)", out_b * scale))
print("| %-42s | %14.0f |" % ("bytes both ways (IP)", (in_b + out_b) * scale))
print("| %-42s | %14.0f |" % ("packets both ways", (in_p + out_p) * scale))
print("| %-42s | %14.0f |" % ("bytes both ways (frames, tcpdump)", cap_bytes * scale))
reqs = []
for line in open(T + "/idle-uris"):
    n, uri = line.split(None, 1)
    reqs.append((uri.strip(), int(n)))
print("| %-42s | %14.0f |" % ("HTTP requests to etcd (tshark)", sum(n for _, n in reqs) * scale))
for uri, n in reqs:
    print("| %-42s | %14.0f |" % ("  " + uri, n * scale))

def grpc(f):
    d = {}
    for line in open(f):
        k, v = line.split()
        d[k] = float(v)
    return d
g0, g1 = grpc(T + "/grpc0"), grpc(T + "/grpc1")
delta = {k: g1[k] - g0.get(k, 0) for k in g1 if g1[k] - g0.get(k, 0) > 0}
print("| %-42s | %14.0f |" % ("etcd grpc_server_started_total (3 members)", sum(delta.values()) * scale))
for k in sorted(delta):
    print("| %-42s | %14.0f |" % ("  " + k, delta[k] * scale))
EOF
