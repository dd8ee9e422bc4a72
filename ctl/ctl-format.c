/* Formatters of netbootctl's human output. */
#include "ctl-format.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "control-proto.h"
#include "util.h"

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

void
ctl_format_time(double epoch_s, char buf[32])
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (epoch_s < 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, 32, "-");
}

void
ctl_format_duration(double s, char buf[48])
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

double
ctl_format_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

const char *
ctl_format_dash(const char *s)
{
	return s != NULL ? s : "-";
}

void
ctl_format_cmdline(const cJSON *obj, char *buf, size_t size)
{
	const char *cmdline = control_json_string(obj, "cmdline");

	if (cmdline == NULL)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "(%s) %s", control_json_string(obj, "cmdline_mode") ?: "append",
		    cmdline);
}

void
ctl_format_labels(const cJSON *labels, const char *prefix, char *buf, size_t size)
{
	const cJSON *l;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(l, labels)
	{
		if (cJSON_IsString(l) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s%s=%s", n > 0 ? " " : "",
			    prefix, l->string, l->valuestring);
	}
	if (n == 0)
		snprintf(buf, size, "-");
}
