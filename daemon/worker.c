/*
 * A job on a worker thread reporting to the loop through a pipe (see worker.h).
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

struct worker_file {
	char phase[16], file[32];
	uint64_t total;
};

struct worker {
	pthread_t thread;
	bool started;
	int pipe[2];
	struct event *ev;
	worker_run_fn run;
	worker_progress_fn progress;
	worker_finished_fn finished;
	void *userdata;

	/* between worker and loop, under lock */
	pthread_mutex_t lock;
	char phase[16], file[32];
	uint64_t done_bytes, total;
	bool fresh; /* progress not yet reported */
	/* files finished since the loop last looked: each is reported */
	struct worker_file completed[WORKER_MAX_COMPLETED];
	size_t n_completed;
	bool done; /* the job returned: result below */
	int result;
	struct manifest *manifest;
	char *error;
	int64_t last_ms; /* worker only: last progress notification */
};

static void
worker_notify(struct worker *w)
{
	char b = 1;

	(void)!write(w->pipe[1], &b, 1); /* a full pipe is as good as a byte */
}

/* ---- worker thread ---- */

void
worker_report(struct worker *w, const char *phase, const char *file, uint64_t done, uint64_t total)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	pthread_mutex_lock(&w->lock);
	if (done == total && w->n_completed < WORKER_MAX_COMPLETED) {
		struct worker_file *c = &w->completed[w->n_completed++];

		snprintf(c->phase, sizeof(c->phase), "%s", phase);
		snprintf(c->file, sizeof(c->file), "%s", file);
		c->total = total;
		if (strcmp(w->file, file) == 0 && strcmp(w->phase, phase) == 0)
			w->fresh = false; /* its partial progress is stale now */
	} else {
		snprintf(w->phase, sizeof(w->phase), "%s", phase);
		snprintf(w->file, sizeof(w->file), "%s", file);
		w->done_bytes = done, w->total = total, w->fresh = true;
	}
	pthread_mutex_unlock(&w->lock);
	if (now - w->last_ms >= WORKER_PROGRESS_INTERVAL_MS || done == total) {
		w->last_ms = now;
		worker_notify(w);
	}
}

static void *
worker_thread(void *arg)
{
	struct worker *w = arg;
	struct manifest *m = NULL;
	char *error = NULL;
	int r = w->run(w, w->userdata, &m, &error);

	pthread_mutex_lock(&w->lock);
	w->done = true, w->result = r, w->manifest = m, w->error = error;
	pthread_mutex_unlock(&w->lock);
	worker_notify(w);
	return NULL;
}

/* ---- loop side ---- */

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char buf[64], phase[16], file[32];
	uint64_t done, total;
	bool fresh, finished;
	struct worker_file completed[WORKER_MAX_COMPLETED];
	size_t n_completed;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	fresh = w->fresh, finished = w->done;
	memcpy(phase, w->phase, sizeof(phase));
	memcpy(file, w->file, sizeof(file));
	done = w->done_bytes, total = w->total;
	w->fresh = false;
	memcpy(completed, w->completed, sizeof(completed));
	n_completed = w->n_completed;
	w->n_completed = 0;
	pthread_mutex_unlock(&w->lock);
	/* A file that finished before the loop looked is reported, not skipped. */
	for (size_t i = 0; i < n_completed; i++)
		w->progress(completed[i].phase, completed[i].file, completed[i].total,
		    completed[i].total, w->userdata);
	if (fresh)
		w->progress(phase, file, done, total, w->userdata);
	if (finished) /* last: it may free w */
		w->finished(w->result, w->manifest, w->error, w->userdata);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->started)
		pthread_join(w->thread, NULL);
	if (w->ev != NULL)
		event_free(w->ev);
	for (size_t i = 0; i < 2; i++)
		if (w->pipe[i] >= 0)
			close(w->pipe[i]);
	pthread_mutex_destroy(&w->lock);
	manifest_free(w->manifest);
	free(w->error);
	free(w);
}

int
worker_start(struct event_base *base, worker_run_fn run, worker_progress_fn progress,
    worker_finished_fn finished, void *userdata, struct worker **ret)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL)
		return -ENOMEM;
	*w = (struct worker){.pipe = {-1, -1},
	    .run = run,
	    .progress = progress,
	    .finished = finished,
	    .userdata = userdata};
	pthread_mutex_init(&w->lock, NULL);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	w->ev = event_new(base, w->pipe[0], EV_READ | EV_PERSIST, on_pipe, w);
	if (w->ev == NULL || event_add(w->ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = -pthread_create(&w->thread, NULL, worker_thread, w)) < 0)
		goto fail;
	w->started = true;
	*ret = w;
	return 0;
fail:
	worker_free(w);
	return r;
}
