/* Human output of netbootctl: tables, lines, boot events and the progress display. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "util.h"

void
ctl_print_json(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s == NULL) {
		ctl_error("out of memory");
		return;
	}
	puts(s);
	fflush(stdout);
	cJSON_free(s);
}

static double
get_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

void
ctl_format_size(uint64_t n, char buf[32])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, 32, "%" PRIu64 " B", n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[u]);
}

static void
format_time(double epoch_s, char buf[32])
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (epoch_s < 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, 32, "-");
}

/* ---- A small table printer: columns padded to their widest cell ---- */

#define TABLE_COLS 6

struct table {
	size_t ncols, nrows;
	char **cells; /* nrows * ncols */
};

static void
table_add(struct table *t, ...)
{
	char **cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	va_list ap;

	if (cells == NULL)
		return;
	t->cells = cells;
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		cells[t->nrows * t->ncols + i] = strdup(s != NULL ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

static void
table_print_free(struct table *t)
{
	size_t width[TABLE_COLS] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s != NULL ? strlen(s) : 0;

			width[c] = n > width[c] ? n : width[c];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 < t->ncols)
				printf("%-*s  ", (int)width[c], s != NULL ? s : "");
			else
				printf("%s\n", s != NULL ? s : "");
			free(t->cells[r * t->ncols + c]);
		}
	}
	free(t->cells);
	t->cells = NULL;
}

/* ---- Commands ---- */

static void
print_count(const char *label, const cJSON *data, const char *key)
{
	printf("%-18s%.0f\n", label, get_num(data, key));
}

static void
format_duration(double s, char buf[48])
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t >= 86400)
		snprintf(buf, 48, "%llud %lluh %llum", t / 86400, t / 3600 % 24, t / 60 % 60);
	else if (t >= 3600)
		snprintf(buf, 48, "%lluh %llum %llus", t / 3600, t / 60 % 60, t % 60);
	else if (t >= 60)
		snprintf(buf, 48, "%llum %llus", t / 60, t % 60);
	else
		snprintf(buf, 48, "%llus", t);
}

void
ctl_render_status(const cJSON *args, const cJSON *data)
{
	char up[48];

	format_duration(get_num(data, "uptime_s"), up);
	printf("%-18s%s\n", "version:", or_dash(control_json_string(data, "version")));
	printf("%-18s%s\n", "uptime:", up);
	print_count("images:", data, "images");
	print_count("machines:", data, "machines");
	print_count("configs:", data, "configs");
	printf(
	    "%-18s%s\n", "default image:", control_json_string(data, "default_image") ?: "(none)");
	printf("%-18s%s\n",
	    "default config:", control_json_string(data, "default_config") ?: "(built-in)");
	printf("%-18s%s\n", "default boot:",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "default_boot")) ? "on" : "off");
	print_count("tftp sessions:", data, "tftp_sessions");
	print_count("http connections:", data, "http_connections");
}

static void
format_source(const cJSON *manifest, char *buf, size_t size)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(manifest, "source");
	const char *type = control_json_string(src, "type");
	const char *where = control_json_string(src, "path") ?: control_json_string(src, "ref");

	snprintf(buf, size, "%s:%s", or_dash(type), or_dash(where));
}

static uint64_t
image_size(const cJSON *manifest)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(manifest, "files"), *f;
	uint64_t total = 0;

	cJSON_ArrayForEach(f, files)
	{
		double n = get_num(f, "size");

		total += n > 0 ? (uint64_t)n : 0;
	}
	return total;
}

void
ctl_render_images(const cJSON *args, const cJSON *data)
{
	struct table t = {.ncols = 5};
	const cJSON *m;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no images");
		return;
	}
	table_add(&t, "NAME", "SOURCE", "SIZE", "ASSIGNED", "CREATED");
	cJSON_ArrayForEach(m, data)
	{
		char src[512], size[32], assigned[32], created[32];

		format_source(m, src, sizeof(src));
		ctl_format_size(image_size(m), size);
		snprintf(assigned, sizeof(assigned), "%.0f", fmax(get_num(m, "assigned"), 0));
		format_time(get_num(m, "created"), created);
		table_add(&t, control_json_string(m, "name"), src, size, assigned, created);
	}
	table_print_free(&t);
}

void
ctl_render_add_image(const cJSON *args, const cJSON *data)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(data, "files"), *f;
	const char *sep = ": ";

	printf("added image %s", or_dash(control_json_string(data, "name")));
	cJSON_ArrayForEach(f, files)
	{
		char size[32];

		ctl_format_size((uint64_t)fmax(get_num(f, "size"), 0), size);
		printf("%s%s %s", sep, f->string, size);
		sep = ", ";
	}
	putchar('\n');
}

void
ctl_render_remove_image(const cJSON *args, const cJSON *data)
{
	printf("removed image %s\n", or_dash(control_json_string(data, "name")));
}

static void
format_cmdline(const cJSON *m, char *buf, size_t size)
{
	const char *cmdline = control_json_string(m, "cmdline");

	if (cmdline == NULL)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "(%s) %s", control_json_string(m, "cmdline_mode") ?: "append",
		    cmdline);
}

static void
format_last_event(const cJSON *m, char *buf, size_t size)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(m, "last_event");
	char when[32];

	if (!cJSON_IsObject(ev)) {
		snprintf(buf, size, "-");
		return;
	}
	format_time(get_num(ev, "time") / 1000, when);
	snprintf(buf, size, "%s %s", or_dash(control_json_string(ev, "kind")), when);
}

void
ctl_render_machines(const cJSON *args, const cJSON *data)
{
	struct table t = {.ncols = 5};
	const cJSON *m;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no machines");
		return;
	}
	table_add(&t, "MAC", "IMAGE", "CONFIG", "CMDLINE", "LAST EVENT");
	cJSON_ArrayForEach(m, data)
	{
		char cmdline[CONTROL_MAX_CMDLINE + 32], last[128];

		format_cmdline(m, cmdline, sizeof(cmdline));
		format_last_event(m, last, sizeof(last));
		table_add(&t, control_json_string(m, "mac"), control_json_string(m, "image"),
		    control_json_string(m, "config"), cmdline, last);
	}
	table_print_free(&t);
}

void
ctl_render_assign(const cJSON *args, const cJSON *data)
{
	char cmdline[CONTROL_MAX_CMDLINE + 32];

	printf("assigned %s to image %s", or_dash(control_json_string(data, "mac")),
	    or_dash(control_json_string(data, "image")));
	if (control_json_string(data, "config") != NULL)
		printf(", config %s", control_json_string(data, "config"));
	if (control_json_string(data, "cmdline") != NULL) {
		format_cmdline(data, cmdline, sizeof(cmdline));
		printf(", cmdline %s", cmdline);
	}
	putchar('\n');
}

void
ctl_render_unassign(const cJSON *args, const cJSON *data)
{
	printf("unassigned %s\n", or_dash(control_json_string(data, "mac")));
}

void
ctl_render_config_set(const cJSON *args, const cJSON *data)
{
	printf("stored config %s (%.0f bytes)\n", or_dash(control_json_string(data, "name")),
	    fmax(get_num(data, "size"), 0));
}

void
ctl_render_config_get(const cJSON *args, const cJSON *data)
{
	const char *content = control_json_string(data, "content");

	if (content != NULL)
		fputs(content, stdout);
}

void
ctl_render_config_list(const cJSON *args, const cJSON *data)
{
	struct table t = {.ncols = 3};
	const cJSON *c;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no configs");
		return;
	}
	table_add(&t, "NAME", "SIZE", "DEFAULT");
	cJSON_ArrayForEach(c, data)
	{
		char size[32];
		bool def = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "default"));

		snprintf(size, sizeof(size), "%.0f", fmax(get_num(c, "size"), 0));
		table_add(&t, control_json_string(c, "name"), size, def ? "yes" : "");
	}
	table_print_free(&t);
}

void
ctl_render_config_default(const cJSON *args, const cJSON *data)
{
	printf("default config: %s\n", control_json_string(data, "name") ?: "none (built-in)");
}

void
ctl_render_default_boot(const cJSON *args, const cJSON *data)
{
	bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "enabled"));

	printf("default boot: %s\n", on ? "on" : "off");
}

/* ---- watch ---- */

static void
print_value(const cJSON *v)
{
	if (cJSON_IsString(v))
		printf(strpbrk(v->valuestring, " \t\"=") != NULL ? "\"%s\"" : "%s", v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble))
		printf("%.0f", v->valuedouble);
	else {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s != NULL ? s : "?", stdout);
		cJSON_free(s);
	}
}

/* "2024-05-01 12:00:00 52:54:00:12:34:56 kernel bytes=123 image=kairos" */
void
ctl_render_boot_event(const cJSON *data)
{
	const cJSON *v;
	char when[32];

	format_time(get_num(data, "time") / 1000, when);
	printf("%s %s %s", when, or_dash(control_json_string(data, "mac")),
	    or_dash(control_json_string(data, "kind")));
	cJSON_ArrayForEach(v, data)
	{
		if (strcmp(v->string, "time") == 0 || strcmp(v->string, "mac") == 0 ||
		    strcmp(v->string, "kind") == 0)
			continue;
		printf(" %s=", v->string);
		print_value(v);
	}
	putchar('\n');
	fflush(stdout);
}

/* ---- add-image progress ---- */

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
	double dn = get_num(data, "done"), tn = get_num(data, "total"), now = now_s();
	uint64_t done = dn > 0 ? (uint64_t)dn : 0, total = tn > 0 ? (uint64_t)tn : 0;
	char label[160];
	bool fresh;
	int bucket;

	if (total > 0 && done > total)
		done = total;
	snprintf(label, sizeof(label), "%s %s", or_dash(phase), or_dash(file));
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
