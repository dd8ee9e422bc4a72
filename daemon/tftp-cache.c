/*
 * Shared in-memory copies of small files for TFTP (see tftp-cache.h).
 */
#include "tftp-cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

struct tftp_cached {
	LIST_ENTRY(tftp_cached) link;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	unsigned refs;
	uint8_t data[];
};

struct tftp_cache {
	LIST_HEAD(, tftp_cached) entries;
	size_t total;
};

struct tftp_cache *
tftp_cache_new(void)
{
	struct tftp_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		LIST_INIT(&c->entries);
	return c;
}

void
tftp_cache_free(struct tftp_cache *c)
{
	if (c == NULL)
		return;
	while (!LIST_EMPTY(&c->entries)) {
		struct tftp_cached *e = LIST_FIRST(&c->entries);

		LIST_REMOVE(e, link);
		free(e);
	}
	free(c);
}

static bool
same_file(const struct tftp_cached *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The whole file, from offset 0 (the descriptor's own offset is not used). */
static struct tftp_cached *
entry_read(int fd, const struct stat *st)
{
	struct tftp_cached *e = malloc(sizeof(*e) + (size_t)st->st_size);
	size_t done = 0;

	if (e == NULL)
		return NULL;
	/* Before the data: assigning the struct writes its tail padding, where data[] begins. */
	*e = (struct tftp_cached){.dev = st->st_dev,
	    .ino = st->st_ino,
	    .size = st->st_size,
	    .mtime = st->st_mtim,
	    .refs = 1};
	while (done < (size_t)st->st_size) {
		ssize_t n = pread(fd, e->data + done, (size_t)st->st_size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(e);
			return NULL;
		}
		done += (size_t)n;
	}
	return e;
}

const struct tftp_cached *
tftp_cache_get(struct tftp_cache *c, int fd)
{
	struct tftp_cached *e;
	struct stat st;

	if (c == NULL || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > TFTP_CACHE_FILE_MAX)
		return NULL;
	LIST_FOREACH(e, &c->entries, link)
	if (same_file(e, &st)) {
		e->refs++;
		return e;
	}
	if (c->total + (size_t)st.st_size > TFTP_CACHE_MAX || (e = entry_read(fd, &st)) == NULL)
		return NULL;
	LIST_INSERT_HEAD(&c->entries, e, link);
	c->total += (size_t)st.st_size;
	return e;
}

void
tftp_cache_put(struct tftp_cache *c, const struct tftp_cached *ce)
{
	struct tftp_cached *e = (struct tftp_cached *)ce;

	if (e == NULL || --e->refs > 0)
		return;
	LIST_REMOVE(e, link);
	c->total -= (size_t)e->size;
	free(e);
}

const uint8_t *
tftp_cached_data(const struct tftp_cached *e)
{
	return e->data;
}
