/*
 * The import child, from the daemon's side (see import-proc.h).
 */
#include "import-proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "util.h"

#ifndef NETBOOTD_IMPORT_PATH
#define NETBOOTD_IMPORT_PATH "/usr/libexec/netbootd/netbootd-import"
#endif

#define MAX_ENV      256
#define POLL_MS      100
#define CHILD_IN_FD  3
#define CHILD_OUT_FD 4

extern char **environ;

static char proc_path[PATH_MAX];
static pthread_once_t proc_path_once = PTHREAD_ONCE_INIT;

static void
proc_path_find(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(proc_path, sizeof(proc_path), "%s", NETBOOTD_IMPORT_PATH);
	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	if ((size_t)snprintf(self + strlen(self), sizeof(self) - strlen(self), "/netbootd-import") <
	        sizeof(self) - strlen(self) &&
	    access(self, X_OK) == 0)
		snprintf(proc_path, sizeof(proc_path), "%s", self);
}

const char *
import_proc_path(void)
{
	pthread_once(&proc_path_once, proc_path_find);
	return proc_path;
}

/* ---- start ---- */

/* The daemon's environment without what belongs to the daemon alone (systemd's). */
static void
env_filter(const char **env, size_t size)
{
	static const char *const drop[] = {"NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=",
	    "LISTEN_FDNAMES=", "WATCHDOG_PID=", "WATCHDOG_USEC=", NULL};
	size_t n = 0;

	for (char **e = environ; e != NULL && *e != NULL && n + 1 < size; e++) {
		bool keep = true;

		for (size_t i = 0; drop[i] != NULL && keep; i++)
			keep = strncmp(*e, drop[i], strlen(drop[i])) != 0;
		if (keep)
			env[n++] = *e;
	}
	env[n] = NULL;
}

/*
 * In the forked child: only async-signal-safe calls.  Every source is
 * first copied above the targets, so that no dup2() overwrites a source.
 */
static void __attribute__((noreturn)) child_exec(const struct import_proc_params *p, int report_fd,
    const char *const *argv, const char *const *env)
{
	int src[2 + MANIFEST_N_FILES] = {
	    report_fd, p->in_fd, p->out_fd[0], p->out_fd[1], p->out_fd[2]};
	const int dst[2 + MANIFEST_N_FILES] = {
	    STDOUT_FILENO, CHILD_IN_FD, CHILD_OUT_FD, CHILD_OUT_FD + 1, CHILD_OUT_FD + 2};
	sigset_t none;
	int devnull;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* No capability survives the exec (the daemon's CAP_NET_BIND_SERVICE is ambient). */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (size_t i = 0; i < 2 + MANIFEST_N_FILES; i++)
		if (src[i] >= 0 && (src[i] = fcntl(src[i], F_DUPFD, 64)) < 0)
			_exit(127);
	for (size_t i = 0; i < 2 + MANIFEST_N_FILES; i++)
		if (src[i] >= 0 && dup2(src[i], dst[i]) < 0)
			_exit(127);
	if ((devnull = open("/dev/null", O_RDONLY)) >= 0 && devnull != STDIN_FILENO) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	close_range(CHILD_OUT_FD + MANIFEST_N_FILES, ~0U, 0);
	execve(import_proc_path(), (char *const *)argv, (char *const *)env);
	_exit(127);
}

static int
spawn(const struct import_proc_params *p, int report_fd, pid_t *ret)
{
	const char *argv[IMPORT_MAX_ARGS + 2] = {"netbootd-import"}, *env[MAX_ENV];
	size_t n = 1;
	pid_t pid;

	for (size_t i = 0; p->args[i] != NULL; i++) {
		if (n == IMPORT_MAX_ARGS)
			return -E2BIG;
		argv[n++] = p->args[i];
	}
	argv[n] = NULL;
	env_filter(env, MAX_ENV);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0)
		child_exec(p, report_fd, argv, env);
	*ret = pid;
	return 0;
}

/* ---- reports ---- */

struct relay {
	const struct import_proc_params *p;
	char buf[IMPORT_REPORT_MAX_LINE + 1];
	size_t len;
	bool ended, bad, cancelled;
	int64_t cancelled_at;     /* ms, CLOCK_MONOTONIC */
	struct import_report end; /* the last report, with 'ended' */
};

static void
relay_line(struct relay *rl, const char *line, size_t n)
{
	struct import_report r;

	if (rl->ended || import_report_parse(line, n, &r) < 0) {
		rl->bad = true;
		return;
	}
	if (r.type == IMPORT_REPORT_PROGRESS) {
		if (rl->p->progress != NULL)
			rl->p->progress(r.phase, r.file, r.done, r.total, rl->p->userdata);
		return;
	}
	rl->end = r;
	rl->ended = true;
}

/* What arrived: whole lines relayed, a line longer than the cap is bad. */
static void
relay_input(struct relay *rl)
{
	char *nl;

	while (!rl->bad && (nl = memchr(rl->buf, '\n', rl->len)) != NULL) {
		size_t n = (size_t)(nl - rl->buf);

		relay_line(rl, rl->buf, n);
		memmove(rl->buf, nl + 1, rl->len - n - 1);
		rl->len -= n + 1;
	}
	if (rl->len == sizeof(rl->buf))
		rl->bad = true;
}

/* Until the child closes its end: relay, and kill it on cancel or a bad report. */
static void
relay_run(struct relay *rl, int fd, pid_t pid)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (!rl->cancelled && rl->p->cancel != NULL && atomic_load(rl->p->cancel)) {
			rl->cancelled = true;
			rl->cancelled_at = clock_ms(CLOCK_MONOTONIC);
			kill(pid, SIGTERM); /* it cleans up; killed if it does not go */
		}
		if (rl->cancelled && rl->cancelled_at > 0 &&
		    clock_ms(CLOCK_MONOTONIC) - rl->cancelled_at > IMPORT_PROC_GRACE_MS) {
			rl->cancelled_at = 0;
			kill(pid, SIGKILL);
		}
		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		n = read(fd, rl->buf + rl->len, sizeof(rl->buf) - rl->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		rl->len += (size_t)n;
		relay_input(rl);
		if (rl->bad) {
			kill(pid, SIGKILL);
			return;
		}
	}
}

/* ---- the end ---- */

static double
cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static int
signal_error(const struct import_proc_params *p, int sig, const struct rusage *ru, char **ret_error)
{
	if (sig == SIGSYS)
		return error_set(ret_error, -EBADMSG,
		    "The import of %s was stopped by its sandbox: it made a system call the sandbox "
		    "forbids (SIGSYS); the input may be hostile",
		    p->label);
	if (sig == SIGXCPU ||
	    (sig == SIGKILL && p->cpu_seconds > 0 && cpu_seconds(ru) >= (double)p->cpu_seconds))
		return error_set(ret_error, -ETIME,
		    "The import of %s used up its %u s of CPU time (images: import_cpu)", p->label,
		    p->cpu_seconds);
	return error_set(ret_error, -EIO,
	    "The import process of %s crashed (signal %s): nothing was kept", p->label,
	    sigabbrev_np(sig) != NULL ? sigabbrev_np(sig) : "?");
}

static int
end_error(const struct import_proc_params *p, const struct relay *rl, int status,
    const struct rusage *ru, char **ret_error)
{
	if (rl->cancelled)
		return error_set(ret_error, -ECANCELED, "Cancelled");
	if (rl->bad)
		return error_set(ret_error, -EBADMSG,
		    "The import process of %s sent a malformed report: it was stopped", p->label);
	if (WIFSIGNALED(status))
		return signal_error(p, WTERMSIG(status), ru, ret_error);
	if (rl->ended && rl->end.type == IMPORT_REPORT_ERROR && WEXITSTATUS(status) == 1) {
		if (rl->end.error == -ENOMEM)
			return error_set(ret_error, -ENOMEM,
			    "%s (the import may use %llu bytes of memory: images: import_memory)",
			    rl->end.message, (unsigned long long)p->memory);
		return error_set(ret_error, rl->end.error, "%s", rl->end.message);
	}
	if (rl->ended && rl->end.type == IMPORT_REPORT_OK && WEXITSTATUS(status) == 0)
		return 0;
	return error_set(ret_error, -EIO, "Cannot run the import process %s (exit status %d)",
	    import_proc_path(), WEXITSTATUS(status));
}

int
import_proc_run(
    const struct import_proc_params *p, char ret_digest[IMPORT_REPORT_DIGEST], char **ret_error)
{
	_cleanup_free_ struct relay *rl = calloc(1, sizeof(*rl));
	struct rusage ru = {0};
	int pipefd[2], status = 0, r;
	pid_t pid;

	if (rl == NULL)
		return -ENOMEM;
	rl->p = p;
	if (access(import_proc_path(), X_OK) < 0)
		return error_set(
		    ret_error, -errno, "Cannot run the import process %s: %m", import_proc_path());
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_set(ret_error, -errno, "Cannot start an import: %m");
	r = spawn(p, pipefd[1], &pid);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return error_set(ret_error, r, "Cannot start the import process: %s", strerror(-r));
	}
	relay_run(rl, pipefd[0], pid);
	close(pipefd[0]);
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if ((r = end_error(p, rl, status, &ru, ret_error)) < 0)
		return r;
	memcpy(ret_digest, rl->end.manifest_digest, IMPORT_REPORT_DIGEST);
	return 0;
}
