#!/bin/bash
# A real OCI registry on loopback for tests and benchmarks: Debian's
# docker-registry (the distribution registry) with a temporary storage
# directory, filled with skopeo from an OCI layout
# (tests/integration/registry-mkimage.py).  Source this file.
#
#   registry_free_port                  print a free TCP port on 127.0.0.1
#   registry_wait_port HOST PORT        wait until something listens (10 s)
#   registry_start DIR PORT [YAML]      start one serving 127.0.0.1:PORT, storage
#                                       and access log (DIR/log) under DIR, extra
#                                       config YAML appended; its PID in
#                                       REGISTRY_PID (the caller kills it)
#   registry_push LAYOUT TAG REG/REPO:TAG   skopeo copy over plain HTTP
#   registry_blob_gets DIR REPO         how many blob GETs for REPO its log shows
# With REGISTRY_EXEC set (an array, e.g. (nsenter --net=/run/netns/NS --)),
# the registry, the port probes and skopeo run through it: in a namespace.

REGISTRY_PY=${REGISTRY_PY:-/usr/bin/python3}
[ -n "${REGISTRY_EXEC+x}" ] || REGISTRY_EXEC=()

registry_free_port() {
	"${REGISTRY_EXEC[@]}" "$REGISTRY_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

registry_wait_port() {
	local _
	for _ in $(seq 100); do
		if "${REGISTRY_EXEC[@]}" "$REGISTRY_PY" -c "import socket; socket.create_connection(('$1',$2),0.2)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: nothing listens on $1:$2" >&2
	return 1
}

registry_start() {
	mkdir -p "$1/store"
	cat >"$1/config.yml" <<-EOF2
	version: 0.1
	log:
	  level: info
	  accesslog:
	    disabled: false
	storage:
	  filesystem:
	    rootdirectory: $1/store
	  delete:
	    enabled: true
	http:
	  addr: 127.0.0.1:$2
	${3:-}
	EOF2
	"${REGISTRY_EXEC[@]}" docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
	REGISTRY_PID=$!
	registry_wait_port 127.0.0.1 "$2"
}

registry_push() {
	"${REGISTRY_EXEC[@]}" skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$1:$2" "docker://$3"
}

registry_blob_gets() {
	grep -c "\"GET /v2/$2/blobs/" "$1/log" || true
}
