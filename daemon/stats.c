#include "stats.h"

#include <stdlib.h>

#include "cmd.h"
#include "control.h"
#include "progress.h"
#include "server.h"
#include "store.h"

const double stats_boot_bounds[STATS_BOOT_BUCKETS] = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800};
const double stats_install_bounds[STATS_INSTALL_BUCKETS] = {
    10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};

void
stats_observe(struct histogram *h, const double *bounds, size_t n, double seconds)
{
	h->count++;
	h->sum += seconds;
	for (size_t i = 0; i < n; i++)
		if (seconds <= bounds[i])
			h->bucket[i]++;
}

static size_t
config_count(struct store *st)
{
	struct store_config_info *list = NULL;
	size_t n = 0;

	if (store_config_list(st, &list, &n) < 0)
		return 0;
	free(list);
	return n;
}

void
stats_state(struct server *srv, struct stats_state *ret)
{
	*ret = (struct stats_state){
	    .progress_machines = srv->progress != NULL ? progress_machines(srv->progress) : 0,
	    .control_clients = control_server_clients(srv->control),
	};
	if (srv->store == NULL)
		return;
	(void)store_image_count(srv->store, &ret->images); /* 0 on failure */
	ret->configs = config_count(srv->store);
	if (cmd_machines_count(srv, &ret->machines, &ret->machines_seen) < 0)
		(void)store_machine_list(srv->store, &ret->machines);
}
