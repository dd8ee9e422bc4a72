/* The progress display of add-image and extract: a bar on a tty, else a line per 10%. */
#include "ctl-progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control-proto.h"
#include "ctl-format.h"

struct ctl_progress {
	bool tty;
	bool drawn;          /* a tty line is on screen */
	char key[160];       /* "phase file" of the current item */
	double t_item;       /* when the current item started */
	double t_print;      /* last output */
	int bucket;          /* last printed 10% step */
	uint64_t done_first; /* done at the start of the item */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctl_progress *
ctl_progress_new(bool tty)
{
	struct ctl_progress *p = calloc(1, sizeof(*p));

	if (p != NULL) {
		p->tty = tty;
		p->bucket = -1;
	}
	return p;
}

static void
draw_tty(struct ctl_progress *p, const char *label, uint64_t done, uint64_t total, double rate)
{
	char d[32], t[32], r[32], bar[21];
	int pct = total > 0 ? (int)(done * 100 / total) : -1;

	ctl_format_size(done, d);
	ctl_format_size(total, t);
	ctl_format_size((uint64_t)rate, r);
	for (int i = 0; i < 20; i++)
		bar[i] = pct >= 0 && i < pct / 5 ? '#' : '-';
	bar[20] = '\0';
	if (pct >= 0)
		fprintf(stderr, "\r\033[K%s [%s] %3d%% %s / %s  %s/s", label, bar, pct, d, t, r);
	else
		fprintf(stderr, "\r\033[K%s %s  %s/s", label, d, r);
	p->drawn = true;
}

static void
print_line(const char *label, uint64_t done, uint64_t total)
{
	char d[32], t[32];

	ctl_format_size(done, d);
	ctl_format_size(total, t);
	if (total > 0)
		fprintf(stderr, "%s: %d%% (%s of %s)\n", label, (int)(done * 100 / total), d, t);
	else
		fprintf(stderr, "%s: %s\n", label, d);
}

void
ctl_progress_update(struct ctl_progress *p, const cJSON *data)
{
	const char *phase = control_json_string(data, "phase"),
	           *file = control_json_string(data, "file");
	double dn = ctl_format_num(data, "done"), tn = ctl_format_num(data, "total"), now = now_s();
	uint64_t done = dn > 0 ? (uint64_t)dn : 0, total = tn > 0 ? (uint64_t)tn : 0;
	char label[160];
	bool fresh;
	int bucket;

	if (total > 0 && done > total)
		done = total;
	snprintf(label, sizeof(label), "%s %s", ctl_format_dash(phase), ctl_format_dash(file));
	fresh = strcmp(label, p->key) != 0;
	if (fresh) {
		snprintf(p->key, sizeof(p->key), "%s", label);
		p->t_item = now;
		p->done_first = done;
		p->bucket = -1;
		if (p->tty && p->drawn)
			fputc('\n', stderr);
		p->drawn = false;
	}
	bucket = total > 0 ? (int)(done * 10 / total) : 0;
	if (p->tty) {
		double rate =
		    now > p->t_item ? (double)(done - p->done_first) / (now - p->t_item) : 0;

		if (fresh || done == total || now - p->t_print >= 0.1) {
			draw_tty(p, label, done, total, rate);
			p->t_print = now;
		}
	} else if (fresh || bucket > p->bucket || now - p->t_print >= 1.0) {
		print_line(label, done, total);
		p->t_print = now;
		p->bucket = bucket;
	}
	fflush(stderr);
}

void
ctl_progress_finish(struct ctl_progress *p)
{
	if (p != NULL && p->tty && p->drawn) {
		fputc('\n', stderr);
		p->drawn = false;
	}
}

void
ctl_progress_free(struct ctl_progress *p)
{
	free(p);
}
