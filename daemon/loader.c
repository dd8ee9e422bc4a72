#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "boot-view.h"
#include "fsutil.h"
#include "util.h"

bool
loader_known(struct server *srv, const char *name)
{
	struct boot_view v;

	boot_view_init(srv, &v);
	return boot_loader_known(&v, name);
}

int
loader_open(struct server *srv, const char *name, off_t *ret_size)
{
	const char *dir = srv->cfg->ipxe.dir != NULL ? srv->cfg->ipxe.dir : CONFIG_DEFAULT_IPXEDIR;
	_cleanup_close_ int fd = -1;
	char path[4096];
	int r;

	if (!loader_known(srv, name))
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
