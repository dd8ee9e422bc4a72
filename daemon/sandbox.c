/*
 * The import child's confinement (see sandbox.h), with libseccomp.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <seccomp.h>

#include "error.h"
#include "util.h"

static void
seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx != NULL)
		seccomp_release(*ctx);
}

/*
 * The action for a forbidden call: the whole process (seccomp API level 3,
 * which needs the seccomp(2) system call; the shipped unit allows it), or
 * the calling thread where only prctl(PR_SET_SECCOMP) is available.
 */
static uint32_t
kill_action(void)
{
	return seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
}

/* Add 'action' for each named call the kernel of this architecture knows. */
static int
rules_add(scmp_filter_ctx ctx, uint32_t action, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]), r;

		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((r = seccomp_rule_add(ctx, action, nr, 0)) < 0)
			return r;
	}
	return 0;
}

/* ---- 1: early ---- */

/* What an importer never does, whatever it parses. */
static const char *const early_denied[] = {"execve", "execveat", "ptrace", "process_vm_readv",
    "process_vm_writev", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "move_mount", "open_tree", "fsopen", "fsmount", "fspick", "bpf", "perf_event_open",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "syslog", "acct", "quotactl", "keyctl", "add_key", "request_key",
    "personality", "userfaultfd", "iopl", "ioperm", "open_by_handle_at", "name_to_handle_at",
    "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "sethostname", "setdomainname",
    "lookup_dcookie", "vhangup", "uselib", NULL};

static int
limit_set(int resource, rlim_t soft, rlim_t hard, const char *what, char **ret_error)
{
	struct rlimit rl = {soft, hard};

	if (setrlimit(resource, &rl) < 0)
		return error_set(ret_error, -errno, "Cannot limit the import's %s: %m", what);
	return 0;
}

static int
limits_apply(const struct sandbox_limits *l, char **ret_error)
{
	int r = limit_set(RLIMIT_CORE, 0, 0, "core files", ret_error);

	if (r == 0 && l->memory > 0)
		r = limit_set(RLIMIT_AS, l->memory, l->memory, "memory", ret_error);
	if (r == 0 && l->cpu_seconds > 0)
		r = limit_set(
		    RLIMIT_CPU, l->cpu_seconds, l->cpu_seconds + 5, "CPU time", ret_error);
	return r;
}

int
sandbox_early(const struct sandbox_limits *l, char **ret_error)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return error_set(ret_error, -errno, "Cannot drop the import's privileges: %m");
	if ((r = limits_apply(l, ret_error)) < 0)
		return r;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return error_set(ret_error, -ENOMEM, "Cannot build the import's seccomp filter");
	if ((r = rules_add(ctx, kill_action(), early_denied)) < 0 || (r = seccomp_load(ctx)) < 0)
		return error_set(
		    ret_error, r, "Cannot load the import's seccomp filter: %s", strerror(-r));
	return 0;
}

/* ---- 2: lockdown ---- */

static int
nobody(char **ret_error)
{
	if (geteuid() != 0)
		return 0; /* no privileges to drop: the daemon's own user (netbootd) */
	if (setgroups(0, NULL) < 0 ||
	    setresgid(SANDBOX_NOBODY, SANDBOX_NOBODY, SANDBOX_NOBODY) < 0 ||
	    setresuid(SANDBOX_NOBODY, SANDBOX_NOBODY, SANDBOX_NOBODY) < 0)
		return error_set(ret_error, -errno, "Cannot run the import as nobody: %m");
	/* The uid change cleared the capabilities; the kernel re-sets dumpable on it. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

/* Calls with no descriptor or path: memory, threads, time, signals to itself. */
static const char *const allowed[] = {"brk", "munmap", "mremap", "madvise", "futex",
    "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity", "gettid",
    "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "exit", "exit_group",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
    "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
    "getrandom", "sysinfo", "uname", "close", "fcntl", "membarrier", NULL};

/* Calls on a path, or that make a descriptor from nothing: EACCES. */
static const char *const refused[] = {"open", "openat", "openat2", "creat", "mkdir", "mkdirat",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
    "symlinkat", "chmod", "fchmodat", "chown", "lchown", "fchownat", "access", "faccessat",
    "faccessat2", "readlink", "readlinkat", "stat", "lstat", "truncate", "utimensat", "socket",
    "socketpair", "memfd_create", "inotify_init1", "prctl", "ioctl", NULL};

/* On a given descriptor: reads on 'in' and 'out', writes on 'out'. */
static const char *const on_read_fd[] = {"read", "readv", "pread64", "preadv", "preadv2", "lseek",
    "fadvise64", "fstat", "fstatfs", NULL};
static const char *const on_write_fd[] = {"write", "writev", "pwrite64", "pwritev", "pwritev2",
    "ftruncate", "fallocate", "fsync", "fdatasync", NULL};

/* Reads on any descriptor below 'limit': all were open before the lockdown. */
static int
read_rules(scmp_filter_ctx ctx, int limit)
{
	for (size_t i = 0; on_read_fd[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(on_read_fd[i]), r;

		if (nr != __NR_SCMP_ERROR &&
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		         SCMP_A0(SCMP_CMP_LT, (scmp_datum_t)limit, 0))) < 0)
			return r;
	}
	return 0;
}

static int
fd_rules(scmp_filter_ctx ctx, const char *const *names, const int *fds, size_t n)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]), r;

		for (size_t k = 0; k < n && nr != __NR_SCMP_ERROR; k++)
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fds[k], 0))) < 0)
				return r;
	}
	return 0;
}

/*
 * A stat call: allowed with AT_EMPTY_PATH in its flags (argument 'arg'), on
 * a descriptor; EACCES by path.  (AT_EMPTY_PATH with a path still looks it
 * up: metadata, never contents, can be read that way.)
 */
static int
empty_path_rules(scmp_filter_ctx ctx, int nr, unsigned arg)
{
	const struct scmp_arg_cmp with = {arg, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH};
	const struct scmp_arg_cmp without = {arg, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0};
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, with);

	return r < 0 ? r : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 1, without);
}

/* The calls whose arguments decide (see sandbox.h). */
static int
special_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	/* Only threads: a clone that shares the address space and is a thread of ours. */
	r = r < 0 ? r
	          : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	                SCMP_A0(
	                    SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM, CLONE_THREAD | CLONE_VM));
	/* clone3's flags sit behind a pointer: "not here" makes glibc use clone. */
	r = r < 0 ? r : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* Memory never executable. */
	r = r < 0 ? r
	          : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r = r < 0 ? r
	          : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Limits read, never raised; signals to this process only (abort(3)). */
	r = r < 0 ? r
	          : seccomp_rule_add(
	                ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, SCMP_A2(SCMP_CMP_EQ, 0, 0));
	r = r < 0 ? r
	          : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	                SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	/* fstat(3) is newfstatat(fd, "", AT_EMPTY_PATH): allowed; by path: EACCES. */
	r = r < 0 ? r : empty_path_rules(ctx, SCMP_SYS(newfstatat), 3);
	r = r < 0 ? r : empty_path_rules(ctx, SCMP_SYS(statx), 2);
	return r;
}

/* The lowest descriptor number above every open one. */
static int
fd_limit(void)
{
	int limit = 3;

	for (int fd = 3; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			limit = fd + 1;
	return limit;
}

static int
lockdown_filter(const int *out, size_t n_out)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	int writers[SANDBOX_MAX_FDS + 2];
	int r;

	if (n_out > SANDBOX_MAX_FDS)
		return -E2BIG;
	if ((ctx = seccomp_init(kill_action())) == NULL)
		return -ENOMEM;
	memcpy(writers, out, n_out * sizeof(int));
	writers[n_out] = STDOUT_FILENO, writers[n_out + 1] = STDERR_FILENO;
	if ((r = rules_add(ctx, SCMP_ACT_ALLOW, allowed)) < 0 ||
	    (r = rules_add(ctx, SCMP_ACT_ERRNO(EACCES), refused)) < 0 ||
	    (r = read_rules(ctx, fd_limit())) < 0 ||
	    (r = fd_rules(ctx, on_write_fd, writers, n_out + 2)) < 0 ||
	    (r = special_rules(ctx)) < 0)
		return r;
	return seccomp_load(ctx);
}

int
sandbox_lockdown(const int *out, size_t n_out, char **ret_error)
{
	int r;

	if ((r = nobody(ret_error)) < 0)
		return r;
	if ((r = lockdown_filter(out, n_out)) < 0)
		return error_set(
		    ret_error, r, "Cannot load the import's seccomp filter: %s", strerror(-r));
	return 0;
}
