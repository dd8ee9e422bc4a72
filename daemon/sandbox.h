/*
 * The import child's confinement (daemon/import-child.c), in the order the
 * child applies it:
 *
 *   1. sandbox_early(): no new privileges, not dumpable, no core files, the
 *      CPU and address-space limits, and a deny-list seccomp filter (no
 *      exec, ptrace, mount, module, bpf, keyring, namespace or reboot calls).
 *      The OCI pull runs under this: it needs the network and the blob cache.
 *   2. sandbox_lockdown(), once every descriptor the parsing needs is open:
 *      run as nobody when started as root (groups dropped too), then an
 *      allow-list filter.  Reads only from descriptors open at that moment,
 *      writes only to 'out' and the report/stderr descriptors; threads but no
 *      processes; anonymous or read-only memory, never executable; opening,
 *      creating or removing any path and making a socket fail with EACCES
 *      (libraries that probe files fall back), every other system call kills
 *      the process (SIGSYS).
 *
 * The daemon (import.c) clears the ambient capabilities before it executes
 * the child, so the child starts without any (its user's, netbootd's,
 * CAP_NET_BIND_SERVICE stays with the daemon).
 */
#ifndef NETBOOTD_SANDBOX_H
#define NETBOOTD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_NOBODY  65534 /* the overflow uid and gid */
#define SANDBOX_MAX_FDS 8     /* output descriptors of sandbox_lockdown() */

struct sandbox_limits {
	uint64_t memory;      /* RLIMIT_AS, bytes; 0: unlimited */
	unsigned cpu_seconds; /* RLIMIT_CPU (SIGXCPU, then SIGKILL 5 s later); 0: unlimited */
};

int sandbox_early(const struct sandbox_limits *l, char **ret_error);
int sandbox_lockdown(const int *out, size_t n_out, char **ret_error);

#endif
