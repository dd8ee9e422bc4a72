#!/bin/bash
# registry_pull() (lib/registry.c) against real parts on loopback:
#  - Debian's docker-registry (the distribution registry) with images pushed by
#    skopeo from an OCI layout built by registry-mkimage.py: a multi-arch index
#    (amd64, arm64) and a single manifest; digests, platform selection, pull by
#    digest, the blob cache (a second pull makes no blob GET: counted in the
#    registry's access log), plain HTTP without --insecure on loopback;
#  - the same registry with htpasswd Basic auth and an auth file;
#  - registry-fake.py for the Bearer token dance (token expiry and refresh,
#    blobs redirected to 127.0.0.2 that must not see the Authorization
#    header) and the faults: a connection reset mid-blob (resumed with Range),
#    500s (retried), a blob that does not match its digest, a 5 MiB manifest.
# Driven through tests/unit/registry-pull-helper.c.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILDDIR=${BUILDDIR:-$HERE/../../build}
HELPER=${REGISTRY_PULL_HELPER:-$BUILDDIR/tests/registry-pull-helper}
PY=/usr/bin/python3
# shellcheck source=../lib/check.sh
. "$HERE/../lib/check.sh"
require_cmds docker-registry skopeo htpasswd sha256sum "$PY"
[ -x "$HELPER" ] || { echo "FAIL: no registry-pull-helper at $HELPER"; exit 1; }

new_tmpdir test-registry
TMP=$TMPDIR_NEW

# free_port, wait_port, the registry: tests/lib/registry.sh
# shellcheck source=../lib/registry.sh
. "$HERE/../lib/registry.sh"
free_port() { registry_free_port; }
wait_port() { registry_wait_port "$@" || exit 1; }

# pull OUT ARGS...: run the helper, stdout to OUT.out, stderr to OUT.err; its exit status.
pull() {
	local out=$1
	shift
	local rc=0
	"$HELPER" --delay-ms 100 "$@" >"$TMP/$out.out" 2>"$TMP/$out.err" || rc=$?
	return $rc
}

# Every file named on the output's config/layer lines has the digest it is listed with.
digests_ok() {
	local kind digest rest path n=0
	while read -r kind digest rest; do
		[ "$kind" = config ] || [ "$kind" = layer ] || continue
		path=${rest##* }
		[ "sha256:$(sha256sum "$path" | cut -d' ' -f1)" = "$digest" ] || return 1
		n=$((n + 1))
	done <"$TMP/$1.out"
	[ "$n" -ge 2 ]
}

# The layer digests of an output, space-separated, in order.
layers_of() { awk '$1 == "layer" { printf "%s ", $2 }' "$TMP/$1.out"; }
expected_layers() { awk -v a="$1" '$1 == "layer" && $2 == a { printf "%s ", $4 }' "$TMP/image.txt"; }
expected() { awk -v k="$1" -v a="$2" '$1 == k && $2 == a { print $3 }' "$TMP/image.txt"; }

# ---- the image ----
"$PY" "$HERE/registry-mkimage.py" "$TMP/layout" >"$TMP/image.txt"
AMD64=$(awk '$1 == "amd64" { print $2 }' "$TMP/image.txt")
ARM64=$(awk '$1 == "arm64" { print $2 }' "$TMP/image.txt")

# ---- a real registry, anonymous ----
start_registry() { # start_registry NAME PORT [AUTH-YAML]
	local rc=0
	registry_start "$TMP/$1" "$2" "${3:-}" || rc=$?
	track_child "$REGISTRY_PID"
	[ "$rc" -eq 0 ] || exit 1
}
blob_gets() { registry_blob_gets "$TMP/$1" ns/img; }

P1=$(free_port)
REG=127.0.0.1:$P1
start_registry reg "$P1"
echo "registry on $REG"
skopeo copy -q --all --dest-tls-verify=false "oci:$TMP/layout:multi" "docker://$REG/ns/img:multi"
skopeo copy -q --dest-tls-verify=false "oci:$TMP/layout:single" "docker://$REG/ns/img:single"
CACHE=$TMP/cache

export REGISTRY_PULL_PROGRESS=1 # the helper prints each blob's final progress call
check "pull of the multi-arch tag succeeds" pull a1 --insecure "$REG" --cache "$CACHE" "$REG/ns/img:multi"
unset REGISTRY_PULL_PROGRESS
check "default platform is linux/amd64 (manifest $AMD64)" grep -q "^manifest $AMD64 " "$TMP/a1.out"
check "layers are the amd64 ones, in order" [ "$(layers_of a1)" = "$(expected_layers amd64)" ]
check "config is the amd64 config" grep -q "^config $(expected config amd64) " "$TMP/a1.out"
check "every cached blob has its digest" digests_ok a1
check "cache path is <cache>/blobs/sha256/<hex>" \
	grep -q " $CACHE/blobs/sha256/$(expected config amd64 | cut -d: -f2)\$" "$TMP/a1.out"
N_PROGRESS=$(grep -c "^progress sha256:[0-9a-f]* \([0-9]*\)/\1\$" "$TMP/a1.err" || true)
check "the progress callback reported 3 completed blobs (got $N_PROGRESS)" [ "$N_PROGRESS" -eq 3 ]
GETS1=$(blob_gets reg)
check "first pull made 3 blob GETs (got $GETS1)" [ "$GETS1" -eq 3 ]

check "second pull succeeds" pull a2 --insecure "$REG" --cache "$CACHE" "$REG/ns/img:multi"
GETS2=$(blob_gets reg)
check "second pull made no blob GET ($GETS1 -> $GETS2)" [ "$GETS2" -eq "$GETS1" ]
check "second pull lists the same files" cmp -s "$TMP/a1.out" "$TMP/a2.out"

check "pull for linux/arm64 succeeds" pull a3 --insecure "$REG" --platform linux/arm64 \
	--cache "$CACHE" "$REG/ns/img:multi"
check "linux/arm64 gives manifest $ARM64" grep -q "^manifest $ARM64 " "$TMP/a3.out"
check "arm64 layers in order" [ "$(layers_of a3)" = "$(expected_layers arm64)" ]
check "arm64 blobs verified" digests_ok a3
GETS3=$(blob_gets reg)
check "arm64 pull fetched only config + its own layer (2 GETs, got $((GETS3 - GETS2)))" \
	[ $((GETS3 - GETS2)) -eq 2 ]

if pull a4 --insecure "$REG" --platform linux/s390x --cache "$CACHE" "$REG/ns/img:multi"; then
	bad "linux/s390x should fail"
else
	check "linux/s390x fails naming what there is: $(cat "$TMP/a4.err")" \
		grep -q "no manifest for linux/s390x (it has: linux/amd64, linux/arm64)" "$TMP/a4.err"
fi
check "pull by digest succeeds" pull a5 --insecure "$REG" --cache "$CACHE" "$REG/ns/img@$ARM64"
check "pull by digest gives that manifest" grep -q "^manifest $ARM64 " "$TMP/a5.out"
check "single-manifest tag" pull a6 --insecure "$REG" --cache "$TMP/cache6" "$REG/ns/img:single"
check "single-manifest tag gives amd64" grep -q "^manifest $AMD64 " "$TMP/a6.out"
if pull a7 --insecure "$REG" --cache "$CACHE" "$REG/ns/img:nope"; then
	bad "a missing tag should fail"
else
	check "missing tag: $(cat "$TMP/a7.err")" grep -q "not found (HTTP 404)" "$TMP/a7.err"
fi
# A registry on loopback is plain HTTP without --insecure, as Docker treats
# it (a registry elsewhere is refused: test-oci-import, in a namespace).
check "a loopback registry ($REG) without --insecure: pulled over plain HTTP" \
	pull a8 --retries 1 --cache "$TMP/cache8" "$REG/ns/img:multi"
check "... the same manifest" grep -q "^manifest $AMD64 " "$TMP/a8.out"
check "localhost:$P1 too" pull a9 --retries 1 --cache "$TMP/cache8" "localhost:$P1/ns/img:multi"

# ---- Basic auth (htpasswd) ----
htpasswd -Bbc "$TMP/htpasswd" alice secret >/dev/null 2>&1
P2=$(free_port)
REG2=127.0.0.1:$P2
start_registry reg2 "$P2" "$(printf 'auth:\n  htpasswd:\n    realm: test-realm\n    path: %s' "$TMP/htpasswd")"
skopeo copy -q --all --dest-tls-verify=false --dest-creds alice:secret \
	"oci:$TMP/layout:multi" "docker://$REG2/ns/img:multi"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG2" "$(printf alice:secret | base64)" >"$TMP/auth.json"
printf '{"auths":{"http://%s/v2/":{"auth":"%s"}}}' "$REG2" "$(printf alice:wrong | base64)" \
	>"$TMP/auth-wrong.json"
if pull b1 --insecure "$REG2" --cache "$TMP/cache-b" "$REG2/ns/img:multi"; then
	bad "Basic registry without credentials should fail"
else
	check "no credentials: $(cat "$TMP/b1.err")" grep -q "requires a user name and password" "$TMP/b1.err"
fi
if pull b2 --auth "$TMP/auth-wrong.json" --insecure "$REG2" --cache "$TMP/cache-b" "$REG2/ns/img:multi"; then
	bad "wrong password should fail"
else
	check "wrong password: $(cat "$TMP/b2.err")" grep -q "refused the credentials" "$TMP/b2.err"
fi
check "Basic auth with the auth file" pull b3 --auth "$TMP/auth.json" --insecure "$REG2" \
	--cache "$TMP/cache-b" "$REG2/ns/img:multi"
check "Basic auth pull verified" digests_ok b3
check "no partial files left in the cache" [ -z "$(find "$TMP/cache-b" -name '*.partial')" ]

# ---- the fake registry ----
start_fake() { # start_fake MODE: sets FAKE (host:port) and FLOG
	local port sport
	port=$(free_port)
	sport=$(free_port)
	FAKE=127.0.0.1:$port
	FLOG=$TMP/fake-$1.log
	"$PY" "$HERE/registry-fake.py" --layout "$TMP/layout" --port "$port" --mode "$1" \
		--log "$FLOG" --redirect-host 127.0.0.2 --redirect-port "$sport" &
	track_child $!
	wait_port 127.0.0.1 "$port"
}

start_fake token
printf '{"auths":{"%s":{"auth":"%s"}}}' "$FAKE" "$(printf alice:secret | base64)" >"$TMP/auth-fake.json"
check "Bearer token flow: pull succeeds" pull t1 --auth "$TMP/auth-fake.json" --insecure "$FAKE" \
	--cache "$TMP/cache-t" "$FAKE/ns/img:multi"
check "Bearer pull verified" digests_ok t1
check "the token endpoint got the Basic credentials" grep -q "^registry GET /token?.* auth=Basic" "$FLOG"
N_TOKENS=$(grep -c "^registry GET /token" "$FLOG" || true)
check "the expired token was refreshed ($N_TOKENS token requests)" [ "$N_TOKENS" -ge 2 ]
check "manifests were fetched with the token" grep -q "^registry GET /v2/ns/img/manifests/.* auth=Bearer" "$FLOG"
N_STORAGE=$(grep -c "^storage GET /blob/" "$FLOG" || true)
check "blobs were redirected to 127.0.0.2 ($N_STORAGE requests)" [ "$N_STORAGE" -eq 3 ]
check "no Authorization header reached 127.0.0.2" [ -z "$(grep "^storage " "$FLOG" | grep -v "auth=-\$")" ]
if pull t2 --insecure "$FAKE" --cache "$TMP/cache-t2" "$FAKE/ns/img:multi"; then
	bad "the token endpoint should refuse anonymous access"
else
	check "anonymous token refused: $(cat "$TMP/t2.err")" grep -q "token endpoint refused" "$TMP/t2.err"
fi

start_fake reset
check "connection reset mid-blob: pull succeeds" pull r1 --insecure "$FAKE" --cache "$TMP/cache-r" \
	"$FAKE/ns/img:multi"
check "reset blob verified" digests_ok r1
check "the download resumed with a Range request" grep -q "range=bytes=[1-9][0-9]*-" "$FLOG"

start_fake err500
check "500s: pull succeeds after retries" pull e1 --insecure "$FAKE" --cache "$TMP/cache-e" \
	"$FAKE/ns/img:multi"
check "500s: the tag was asked 3 times" [ "$(grep -c "GET /v2/ns/img/manifests/multi " "$FLOG")" -eq 3 ]
check "500s: blobs verified" digests_ok e1

start_fake corrupt
if pull c1 --insecure "$FAKE" --cache "$TMP/cache-c" "$FAKE/ns/img:multi"; then
	bad "a corrupt blob should fail"
else
	check "corrupt blob: $(cat "$TMP/c1.err")" grep -q "does not match its digest" "$TMP/c1.err"
fi
check "corrupt blob: nothing left in the cache" [ -z "$(find "$TMP/cache-c" -type f)" ]

start_fake bigmanifest
if pull m1 --insecure "$FAKE" --cache "$TMP/cache-m" "$FAKE/ns/img:multi"; then
	bad "a 5 MiB manifest should fail"
else
	check "manifest too large: $(cat "$TMP/m1.err")" grep -q "larger than 4194304 bytes" "$TMP/m1.err"
fi

start_fake slow
"$HELPER" --insecure "$FAKE" --cache "$TMP/cache-s" "$FAKE/ns/img:multi" >"$TMP/s1.out" 2>"$TMP/s1.err" &
HPID=$!
for _ in $(seq 100); do
	[ -n "$(find "$TMP/cache-s" -name '*.partial' -size +1k 2>/dev/null)" ] && break
	sleep 0.1
done
kill -INT "$HPID"
RC=0
wait "$HPID" || RC=$?
check "cancel: the pull stops with status 1 (got $RC): $(cat "$TMP/s1.err")" \
	[ "$RC" -eq 1 ] && grep -q "cancelled" "$TMP/s1.err"
check "cancel: no partial file left" [ -z "$(find "$TMP/cache-s" -name '*.partial')" ]
check "cancel: the slow blob is not in the cache" \
	[ "$(find "$TMP/cache-s" -type f | wc -l)" -eq 1 ] # the config, fetched before it

check_summary
