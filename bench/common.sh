# shellcheck shell=bash
# What the HTTP benchmarks share (source from bash): a namespace and its
# cleanup, and nginx as the peer: one worker,
# sendfile, everything under a private directory.
#
#   nginx_bench_conf DIR PORT ROOT [EXTRA [ADDR [CONNS]]]
#                        write DIR/nginx.conf: serve ROOT on ADDR:PORT
#                        (127.0.0.1), CONNS worker connections (1024),
#                        pid, logs and temp paths in DIR; EXTRA: more lines
#                        for the http block
#   bench_setup NAME NS TMPDIR TOOLS...
#                        check that TOOLS exist and that we are root; make
#                        network namespace NS (lo up) and use TMPDIR (TMP);
#                        at exit stop NB_PID and NG_PID, remove NS and TMP;
#                        in_ns CMD... runs CMD in NS
#   bench_fake_squashfs N
#                        print a stand-in rootfs.squashfs: a squashfs super
#                        block netbootd accepts (as tests/lib/check.sh's
#                        fake_squashfs), then N random bytes
#   bench_wait_port NAME PORT
#                        wait (5 s) until HTTP answers on 127.0.0.1:PORT,
#                        through in_ns (the caller's namespace wrapper); 1
#                        with a message naming NAME when nothing does

NB_PID=
NG_PID=

bench_fake_squashfs() {
	python3 -c 'import struct, sys
s = int(sys.argv[1]) + 96; none = 2**64 - 1
sys.stdout.buffer.write(struct.pack("<IIIIIHHHHHHQQQQQQQQ", 0x73717368, 1, 0, 131072, 0,
    1, 17, 0, 1, 4, 0, 0, s, 98, none, 96, 97, none, none))' "$1"
	head -c "$1" /dev/urandom
}

bench_setup() {
	local name=$1 t
	NS=$2
	TMP=$3
	shift 3
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$name: $t not found" >&2; exit 1; }
	done
	[ "$(id -u)" -eq 0 ] || { echo "$name: needs root (network namespace)" >&2; exit 1; }
	trap _bench_cleanup EXIT
	ip netns add "$NS"
	in_ns ip link set lo up
	chmod 755 "$TMP"
}

_bench_cleanup() {
	local p
	for p in $NB_PID $NG_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}

in_ns() { ip netns exec "$NS" "$@"; }

nginx_bench_conf() {
	local dir=$1 port=$2 root=$3 extra=${4:-} addr=${5:-127.0.0.1} conns=${6:-1024}
	cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $((conns * 2 + 64));
pid $dir/nginx.pid;
error_log $dir/error.log;
user root;
events { worker_connections $conns; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	$extra
	default_type application/octet-stream;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen $addr:$port;
		root $root;
	}
}
EOF
}

bench_wait_port() {
	for _ in $(seq 100); do
		in_ns curl -s -o /dev/null "http://127.0.0.1:$2/" && return 0
		sleep 0.05
	done
	echo "$1: nothing listens on port $2" >&2
	return 1
}

# CPU time the hypervisor gave to others (steal, /proc/stat): "steal total" in ticks.
steal_sample() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat; }

# The share of the machine's CPU time since steal_sample's "$1" that was
# stolen, in percent.
steal_pct() { # "steal total" from steal_sample
	local s0 t0 s1 t1
	read -r s0 t0 <<<"$1"
	read -r s1 t1 < <(steal_sample)
	awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", (t > 0 ? 100 * s / t : 0) }'
}

# Say how much of the machine's CPU time since steal_sample's "$1" was stolen:
# a run with a large share compares servers only side by side.
steal_report() { # "steal total" from steal_sample
	echo "CPU time stolen by the host during the run: $(steal_pct "$1")%"
}
