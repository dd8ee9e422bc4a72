/*
 * iso_extract_fd() on arbitrary bytes (given as a memfd): no crash or leak;
 * every failure comes with a message and leaves the output directory empty;
 * a success wrote exactly the three files with the sizes it reports, the
 * rootfs starting with "hsqs".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "iso-extract.h"

static char dir[] = "/tmp/fuzz-iso-extract.XXXXXX";
static char dest[MANIFEST_N_FILES][64];

static void
remove_dir(void)
{
	rmdir(dir);
}

static void
setup(void)
{
	if (dest[0][0] != '\0')
		return;
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		snprintf(dest[f], sizeof(dest[f]), "%s/%s", dir, manifest_file_names[f]);
}

/* Entries in the output directory, each removed. */
static size_t
drain(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			abort();
		n++;
	}
	closedir(d);
	return n;
}

static void
check_success(const struct iso_extract_result *res)
{
	char magic[4];
	int fd;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		struct stat st;

		if (stat(dest[f], &st) < 0 || (uint64_t)st.st_size != res->size[f] ||
		    st.st_size == 0)
			abort();
	}
	fd = open(dest[MANIFEST_ROOTFS], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, magic, 4) != 4 || memcmp(magic, "hsqs", 4) != 0)
		abort();
	close(fd);
	if (drain() != MANIFEST_N_FILES)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iso_extract_params p = {.force = true};
	struct iso_extract_result res;
	char *error = NULL;
	int fd, r;

	setup();
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		p.dest[f] = dest[f];
	fd = memfd_create("fuzz-iso", MFD_CLOEXEC);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	r = iso_extract_fd(fd, "fuzz", &p, &res, &error);
	close(fd);
	if (r < 0 && (error == NULL || drain() != 0))
		abort();
	if (r == 0)
		check_success(&res);
	free(error);
	return 0;
}
