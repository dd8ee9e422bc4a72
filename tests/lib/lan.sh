# A throwaway test LAN built from two network namespaces (source from bash,
# after common.sh):
#
#   nbd-site-$$   bridge br0 (10.N.0.1/24 + fd4e:6264:N::1/64), tap0 for the
#                 guest, dnsmasq as the site DHCP server (addresses and IPv6
#                 router advertisements only, no PXE), tcpdump on br0
#   nbd-boot-$$   eth0 = veth into br0, 10.N.0.2/24, netbootd
#
# N is derived from $$; everything stays inside the namespaces.
#
#   lan_setup WORKDIR         build it, start dnsmasq and the capture
#   lan_start_netbootd BIN CONF
#                             start netbootd in the boot namespace, wait
#                             until it is ready (log in $LAN_NETBOOTD_LOG)
#   lan_stop_capture          flush and stop tcpdump (before reading it)
#   lan_in_site CMD...        run a command in the site namespace
#   lan_in_boot CMD...        run a command in the boot namespace
#   LAN_DNSMASQ_EXTRA=(...)   more dnsmasq options for the site DHCP server
#                             (set before lan_setup; the Secure Boot test's
#                             next-server)
# Teardown is registered with cleanup_push and runs on EXIT.

LAN_OCTET=$(($$ % 200 + 20))
LAN_NET=10.$LAN_OCTET.0
LAN_GATEWAY=$LAN_NET.1
LAN_SERVER=$LAN_NET.2
LAN_ULA=fd4e:6264:$LAN_OCTET
LAN_SITE=nbd-site-$$
LAN_BOOT=nbd-boot-$$
LAN_TAP=tap0
LAN_DIR=
LAN_DNSMASQ_PID=
LAN_TCPDUMP_PID=
LAN_NETBOOTD_PID=
LAN_NETBOOTD_LOG=
LAN_CAPTURE=
LAN_DNSMASQ_EXTRA=(${LAN_DNSMASQ_EXTRA[@]+"${LAN_DNSMASQ_EXTRA[@]}"})

# Background processes start as "${LAN_SITE_EXEC[@]}" CMD &: nsenter execs
# CMD itself (ip netns exec forks and waits, and a backgrounded function is a
# subshell), so $! is CMD's own PID, which the teardown kills.
LAN_SITE_EXEC=(nsenter "--net=/run/netns/$LAN_SITE" --)
LAN_BOOT_EXEC=(nsenter "--net=/run/netns/$LAN_BOOT" --)

lan_in_site() {
	"${LAN_SITE_EXEC[@]}" "$@"
}

lan_in_boot() {
	"${LAN_BOOT_EXEC[@]}" "$@"
}

lan_teardown() {
	kill_pid "$LAN_NETBOOTD_PID"
	kill_pid "$LAN_DNSMASQ_PID"
	kill_pid "$LAN_TCPDUMP_PID"
	LAN_NETBOOTD_PID='' LAN_DNSMASQ_PID='' LAN_TCPDUMP_PID=''
	ip netns del "$LAN_BOOT" 2>/dev/null || true
	ip netns del "$LAN_SITE" 2>/dev/null || true
}

lan_setup() {
	LAN_DIR=$1
	mkdir -p "$LAN_DIR"
	if [ -e "/run/netns/$LAN_SITE" ] || [ -e "/run/netns/$LAN_BOOT" ]; then
		die "namespace $LAN_SITE or $LAN_BOOT already exists (a stale run with pid $$?)"
	fi
	cleanup_push lan_teardown
	ip netns add "$LAN_SITE"
	ip netns add "$LAN_BOOT"

	# Site: bridge, tap for the guest, veth to the boot server.
	lan_in_site sysctl -qw net.ipv6.conf.all.disable_ipv6=0 || true
	ip -n "$LAN_SITE" link set lo up
	ip -n "$LAN_SITE" link add br0 type bridge forward_delay 0 stp_state 0
	ip -n "$LAN_SITE" addr add "$LAN_GATEWAY/24" dev br0
	ip -n "$LAN_SITE" addr add "$LAN_ULA::1/64" dev br0 nodad
	ip -n "$LAN_SITE" tuntap add dev "$LAN_TAP" mode tap
	ip -n "$LAN_SITE" link set "$LAN_TAP" master br0 up
	ip -n "$LAN_SITE" link add vb0 type veth peer name eth0 netns "$LAN_BOOT"
	ip -n "$LAN_SITE" link set vb0 master br0 up
	ip -n "$LAN_SITE" link set br0 up

	# Boot server host.
	ip -n "$LAN_BOOT" link set lo up
	ip -n "$LAN_BOOT" addr add "$LAN_SERVER/24" dev eth0
	ip -n "$LAN_BOOT" link set eth0 up

	LAN_CAPTURE="$LAN_DIR/br0.pcap"
	"${LAN_SITE_EXEC[@]}" tcpdump -i br0 -U -n -s 0 -w "$LAN_CAPTURE" >"$LAN_DIR/tcpdump.log" 2>&1 &
	LAN_TCPDUMP_PID=$!

	: >"$LAN_DIR/dnsmasq.leases"
	"${LAN_SITE_EXEC[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--user=root --group=root \
		--bind-interfaces --interface=br0 --except-interface=lo \
		--dhcp-range="$LAN_NET.100,$LAN_NET.199,255.255.255.0,1h" \
		--dhcp-authoritative --no-ping \
		--enable-ra --dhcp-range="$LAN_ULA::,ra-only,64" \
		--pid-file="$LAN_DIR/dnsmasq.pid" \
		--dhcp-leasefile="$LAN_DIR/dnsmasq.leases" \
		--log-dhcp --log-facility="$LAN_DIR/dnsmasq.log" \
		${LAN_DNSMASQ_EXTRA[@]+"${LAN_DNSMASQ_EXTRA[@]}"} \
		>"$LAN_DIR/dnsmasq.out" 2>&1 &
	LAN_DNSMASQ_PID=$!

	# tcpdump prints "listening on br0" once the capture runs.
	local i
	for i in $(seq 1 50); do
		grep -q 'listening on' "$LAN_DIR/tcpdump.log" 2>/dev/null && break
		kill -0 "$LAN_TCPDUMP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$LAN_DNSMASQ_PID" 2>/dev/null ||
		die "dnsmasq did not start: $(cat "$LAN_DIR/dnsmasq.out" "$LAN_DIR/dnsmasq.log" 2>/dev/null)"
	say "LAN up: $LAN_SITE (br0 $LAN_GATEWAY/24, $LAN_ULA::1/64, dnsmasq pid $LAN_DNSMASQ_PID)," \
		"$LAN_BOOT (eth0 $LAN_SERVER/24)"
}

# The last lines of netbootd's log, for error messages.
lan_netbootd_log_tail() {
	local n=${1:-30}
	[ -n "$LAN_NETBOOTD_LOG" ] && [ -f "$LAN_NETBOOTD_LOG" ] || return 0
	echo "--- last $n lines of netbootd's log ($LAN_NETBOOTD_LOG) ---" >&2
	tail -n "$n" "$LAN_NETBOOTD_LOG" >&2
	echo "---" >&2
}

lan_start_netbootd() {
	local bin=$1 conf=$2 i
	LAN_NETBOOTD_LOG="$LAN_DIR/netbootd.log"
	# Logs to stderr as lines, not to the journal, even under systemd.
	"${LAN_BOOT_EXEC[@]}" env -u JOURNAL_STREAM "$bin" -f -d -c "$conf" >"$LAN_NETBOOTD_LOG" 2>&1 &
	LAN_NETBOOTD_PID=$!
	# Ready when all three services answer: HTTP /healthz, and UDP 67/69
	# bound (ss in the namespace).
	for i in $(seq 1 100); do
		if ! kill -0 "$LAN_NETBOOTD_PID" 2>/dev/null; then
			lan_netbootd_log_tail 30
			die "netbootd exited during start-up"
		fi
		if grep -q 'ready' "$LAN_NETBOOTD_LOG" 2>/dev/null &&
			lan_in_boot curl -fsS -m 2 -o /dev/null "http://$LAN_SERVER:8090/healthz" 2>/dev/null; then
			say "netbootd ready in $LAN_BOOT (pid $LAN_NETBOOTD_PID): $(grep -m1 'ready' "$LAN_NETBOOTD_LOG")"
			return 0
		fi
		sleep 0.1
	done
	lan_netbootd_log_tail 30
	die "netbootd did not become ready within 10 s (no 'ready' log line or no HTTP /healthz)"
}

lan_stop_capture() {
	# Let the last packets reach tcpdump, then SIGINT makes it flush and
	# close the file cleanly.
	sleep 1
	if [ -n "$LAN_TCPDUMP_PID" ] && kill -0 "$LAN_TCPDUMP_PID" 2>/dev/null; then
		kill -INT "$LAN_TCPDUMP_PID" 2>/dev/null || true
		local i
		for i in $(seq 1 30); do
			kill -0 "$LAN_TCPDUMP_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill_pid "$LAN_TCPDUMP_PID"
	fi
	LAN_TCPDUMP_PID=
}
