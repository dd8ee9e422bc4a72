#include "io.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

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

TEST_MAIN(TEST(test_write_all), TEST(test_write_all_closed), TEST(test_hex_encode),
    TEST(test_mkdir_parents))
