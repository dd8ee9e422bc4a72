#include "io.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "text.h"

static void
test_write_all(void)
{
	static char big[256 * 1024], back[sizeof(big)];
	FILE *f = tmpfile();
	int fd = f != NULL ? fileno(f) : -1;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	CHECK(fd >= 0);
	CHECK_EQ_INT(io_write_all(fd, big, sizeof(big)), 0);
	CHECK_EQ_INT(io_write_all(fd, big, 0), 0);
	CHECK_EQ_INT(pread(fd, back, sizeof(back), 0), sizeof(big));
	CHECK_EQ_MEM(back, big, sizeof(big));
	if (f != NULL)
		fclose(f);
	CHECK_EQ_INT(io_write_all(-1, big, 1), -EBADF);
}

static void
test_write_all_closed(void)
{
	int fds[2];

	CHECK_EQ_INT(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ_INT(io_write_all(fds[1], "x", 1), -EPIPE);
	close(fds[1]);
}

static void
test_hex_encode(void)
{
	static const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
	char out[2 * sizeof(b) + 1];

	memset(out, 'x', sizeof(out));
	io_hex_encode(b, sizeof(b), out);
	CHECK_EQ_STR(out, "00017f80abcdefff");
	io_hex_encode(b, 0, out);
	CHECK_EQ_STR(out, "");
}

static bool
is_dir(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
test_mkdir_parents(void)
{
	char tmp[] = "/tmp/test-io.XXXXXX", path[512];
	int fd;

	CHECK(mkdtemp(tmp) != NULL);
	snprintf(path, sizeof(path), "%s/a/b//c/", tmp);
	CHECK_EQ_INT(io_mkdir_parents(path, 0755), 0);
	CHECK(is_dir(tmp, "a/b/c"));
	CHECK_EQ_INT(io_mkdir_parents(path, 0755), 0); /* exists: fine */
	CHECK_EQ_INT(io_mkdir_parents(tmp, 0755), 0);
	CHECK_EQ_INT(io_mkdir_parents("/", 0755), 0);
	snprintf(path, sizeof(path), "%s/file", tmp);
	CHECK((fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) >= 0);
	close(fd);
	CHECK_EQ_INT(io_mkdir_parents(path, 0755), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/file/sub", tmp);
	CHECK_EQ_INT(io_mkdir_parents(path, 0755), -ENOTDIR);
	CHECK_EQ_INT(io_mkdir_parents("", 0755), -ENOENT);
	CHECK_EQ_INT(io_mkdir_parents("/proc/no-such-dir/x", 0755), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	CHECK_EQ_INT(system(path), 0);
}

static void
test_parse_size(void)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
	    {"0", 0, 0},
	    {"1048576", 0, 1048576},
	    {"16M", 0, 16ull << 20},
	    {"16m", 0, 16ull << 20},
	    {"2G", 0, 2ull << 30},
	    {"2GiB", 0, 2ull << 30},
	    {"2GB", 0, 2ull << 30},
	    {"3k", 0, 3072},
	    {"1T", 0, 1ull << 40},
	    {"15E", 0, 15ull << 60},
	    {"16E", -ERANGE, 0},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"18446744073709551616", -ERANGE, 0},
	    {"", -EBADMSG, 0},
	    {"M", -EBADMSG, 0},
	    {"-1", -EBADMSG, 0},
	    {"1.5G", -EBADMSG, 0},
	    {"1X", -EBADMSG, 0},
	    {"1GiBs", -EBADMSG, 0},
	    {"1 G", -EBADMSG, 0},
	    {"1@", -EBADMSG, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int r = text_parse_size(cases[i].s, strlen(cases[i].s), &v);

		CHECK_EQ_INT(r, cases[i].r);
		CHECK(r < 0 ? v == 12345 : v == cases[i].v);
	}
	/* Only 'len' bytes count. */
	uint64_t v = 0;
	CHECK_EQ_INT(text_parse_size("16Mxyz", 3, &v), 0);
	CHECK(v == 16ull << 20);
}

static bool
file_is(int dir_fd, const char *name, const char *want)
{
	char buf[64] = {0};
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n >= 0 && strcmp(buf, want) == 0;
}

static void
test_tmpfile(void)
{
	char tmp[] = "/tmp/test-io.XXXXXX", cmd[512];
	struct io_tmpfile t = {.fd = -1};
	struct stat st;
	int dir;

	CHECK(mkdtemp(tmp) != NULL);
	CHECK((dir = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	/* Written, published with its mode; a second one does not replace it with NOREPLACE. */
	CHECK_EQ_INT(io_tmpfile_open(dir, "out", &t), 0);
	CHECK(strncmp(t.name, ".out.", 5) == 0 && strlen(t.name) == 13);
	CHECK(fstatat(dir, t.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(io_write_all(t.fd, "one", 3), 0);
	CHECK_EQ_INT(io_tmpfile_publish(&t, "out", 0644, IO_PUBLISH_SYNC), 0);
	CHECK(t.fd == -1 && file_is(dir, "out", "one"));
	CHECK(fstatat(dir, "out", &st, 0) == 0 && (st.st_mode & 0777) == 0644);
	io_tmpfile_discard(&t); /* published: nothing to do */
	CHECK(file_is(dir, "out", "one"));
	CHECK_EQ_INT(io_tmpfile_open(dir, "out", &t), 0);
	CHECK_EQ_INT(io_tmpfile_publish(&t, "out", 0644, IO_PUBLISH_NOREPLACE), -EEXIST);
	io_tmpfile_discard(&t);
	CHECK(file_is(dir, "out", "one"));
	/* The temporary name swapped for a symlink: the victim is never written. */
	CHECK(symlinkat("out", dir, "link") == 0);
	CHECK_EQ_INT(io_tmpfile_open(dir, "new", &t), 0);
	CHECK(renameat(dir, "link", dir, t.name) == 0);
	CHECK_EQ_INT(io_write_all(t.fd, "two", 3), 0);
	CHECK_EQ_INT(io_tmpfile_publish(&t, "new", 0644, 0), -ESTALE);
	CHECK(fstatat(dir, "new", &st, AT_SYMLINK_NOFOLLOW) < 0 && file_is(dir, "out", "one"));
	/* Discarding leaves alone a name that is no longer ours. */
	CHECK_EQ_INT(io_tmpfile_open(dir, "new", &t), 0);
	char name[IO_TMPFILE_NAME_MAX];
	snprintf(name, sizeof(name), "%s", t.name);
	CHECK(renameat(dir, "out", dir, t.name) == 0);
	io_tmpfile_discard(&t);
	CHECK(t.fd == -1 && file_is(dir, name, "one"));
	/* A discarded one is removed. */
	CHECK_EQ_INT(io_tmpfile_open(dir, "gone", &t), 0);
	snprintf(name, sizeof(name), "%s", t.name);
	io_tmpfile_discard(&t);
	CHECK(fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0);
	close(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_EQ_INT(system(cmd), 0);
}

TEST_MAIN(TEST(test_write_all), TEST(test_write_all_closed), TEST(test_hex_encode),
    TEST(test_mkdir_parents), TEST(test_tmpfile), TEST(test_parse_size))
