#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "util.h"

bool
loader_is_configured(const struct config *c, const char *name)
{
	const char *loaders[] = {c->ipxe.bios, c->ipxe.efi32, c->ipxe.efi64, c->ipxe.arm64};

	for (size_t i = 0; i < ELEMENTSOF(loaders); i++)
		if (loaders[i] != NULL && loaders[i][0] != '\0' && strcmp(loaders[i], name) == 0)
			return true;
	return false;
}

int
loader_open(const struct config *c, const char *name, off_t *ret_size)
{
	const char *dir = c->ipxe.dir != NULL ? c->ipxe.dir : CONFIG_DEFAULT_IPXEDIR;
	_cleanup_close_ int fd = -1;
	char path[4096];
	int r;

	if (!loader_is_configured(c, name))
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EACCES;
	r = fs_regular_file(fd, ret_size);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}
