/*
 * The server's side of a shared store (store.h, docs/cluster.md): this
 * instance's boot events go to the other instances through the store, and
 * theirs come back into the progress recorder (so machines and watch show
 * the whole fleet, each event naming the instance that served it); and the
 * store fetches the images it lacks through replicate.h.
 */
#include "cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "progress.h"
#include "replicate.h"
#include "store.h"

/* A boot event recorded here: share it if this instance served it. */
static void
on_local_event(const struct progress_event *ev, void *userdata)
{
	struct server *srv = userdata;
	cJSON *o;

	if (!ev->has_mac || strcmp(ev->instance, progress_instance(srv->progress)) != 0)
		return;
	if ((o = cmd_event_to_json(ev)) != NULL)
		store_observe(srv->store, o);
	cJSON_Delete(o);
}

/* Another instance's events of one machine: record them here. */
static void
on_remote_events(const char *instance, const cJSON *value, void *userdata)
{
	struct server *srv = userdata;
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(value, "events"), *e;
	size_t bad = 0;

	cJSON_ArrayForEach(e, events)
	{
		struct progress_event ev;

		if (cmd_event_from_json(e, &ev) < 0 || strcmp(ev.instance, instance) != 0) {
			bad++;
			continue;
		}
		progress_record(srv->progress, &ev);
	}
	if (bad > 0)
		log_debug(
		    NULL, "Ignored %zu malformed boot event(s) of instance \"%s\"", bad, instance);
}

/* ---- fetching images for the store (replicate.h) ---- */

struct fetch {
	store_fetched_fn done;
	void *ctx;
};

static void
on_replicated(int r, const char *error, const struct manifest *committed, void *userdata)
{
	struct fetch *f = userdata;

	(void)committed;
	f->done(r, error, f->ctx);
	free(f);
}

static int
fetch_image(const struct manifest *record, const char *const *sources, size_t n_sources,
    store_fetched_fn done, void *ctx, void *userdata)
{
	struct server *srv = userdata;
	struct fetch *f = calloc(1, sizeof(*f));
	struct replicate_params p = {.m = record, .sources = sources, .n_sources = n_sources};
	struct replicate *rep;
	int r;

	if (f == NULL)
		return -ENOMEM;
	*f = (struct fetch){.done = done, .ctx = ctx};
	if (n_sources > REPLICATE_MAX_SOURCES)
		p.n_sources = REPLICATE_MAX_SOURCES;
	if ((r = replicate_start(srv, &p, NULL, on_replicated, f, &rep)) < 0)
		free(f);
	return r;
}

int
cluster_start(struct server *srv)
{
	const char *self = store_instance_name(srv->store);

	if (self == NULL)
		return 0; /* the local store: nothing is shared */
	progress_set_instance(srv->progress, self);
	store_set_observed_callback(srv->store, on_remote_events, srv);
	store_set_fetcher(srv->store, fetch_image, srv);
	return progress_subscribe(srv->progress, NULL, on_local_event, srv, &srv->cluster_sub);
}

void
cluster_stop(struct server *srv)
{
	progress_unsubscribe(srv->cluster_sub);
	srv->cluster_sub = NULL;
	if (srv->store != NULL) {
		store_set_observed_callback(srv->store, NULL, NULL);
		store_set_fetcher(srv->store, NULL, NULL);
	}
}
