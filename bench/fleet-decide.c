/*
 * How long one boot decision takes in a big fleet: MACHINES machines (each
 * with a label), GROUPS groups (MAC globs, labels, architectures, distinct
 * priorities), PROFILES profiles; boot_decide(SCRIPT) for random machines,
 * half of them known.  Prints the median and the 99th percentile.
 *
 *   bench/fleet-decide [MACHINES GROUPS PROFILES [ROUNDS]]   (10000 500 50 200000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot-policy.h"
#include "fleet.h"

static struct fleet fleet;

static int
view_machine(void *u, const uint8_t mac[MAC_LEN], struct boot_machine *ret)
{
	const struct fleet_machine *m = fleet_machine_find(&fleet, mac);

	if (m == NULL)
		return -ENOENT;
	*ret = (struct boot_machine){.image = m->image,
	    .config = m->config,
	    .cmdline = m->cmdline,
	    .cmdline_mode = m->cmdline_mode,
	    .profile = m->profile,
	    .labels = &m->labels};
	return 0;
}

static bool
view_image_exists(void *u, const char *name)
{
	return true;
}

static int
view_image_only(void *u, char **ret)
{
	return -ENOENT;
}

static int
view_image_cmdline(void *u, const char *name, char **ret)
{
	*ret = NULL;
	return 0;
}

static const struct fleet_profile *
view_profile(void *u, const char *name)
{
	return fleet_profile_find(&fleet, name);
}

/* "p007": a prefix and a zero-padded number. */
static char *
dupn(const char *prefix, int width, unsigned n)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%0*u", prefix, width, n);
	return strdup(buf);
}

/* "52:54:XX:*" */
static char *
mac_glob(unsigned x)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "52:54:%02x:*", x);
	return strdup(buf);
}

static void
set_rack(struct fleet_labels *l, unsigned n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "r%u", n);
	if (fleet_labels_set(l, "rack", buf) < 0)
		abort();
}

static void
make_fleet(unsigned n_machines, unsigned n_groups, unsigned n_profiles)
{
	fleet.profiles = calloc(n_profiles, sizeof(*fleet.profiles));
	fleet.groups = calloc(n_groups, sizeof(*fleet.groups));
	fleet.machines = calloc(n_machines, sizeof(*fleet.machines));
	for (unsigned i = 0; i < n_profiles; i++)
		fleet.profiles[fleet.n_profiles++] = (struct fleet_profile){.name = dupn("p", 3, i),
		    .image = strdup("kairos"),
		    .cmdline = dupn("console=ttyS", 1, i % 4)};
	for (unsigned i = 0; i < n_groups; i++) {
		struct fleet_group *g = &fleet.groups[fleet.n_groups++];

		*g = (struct fleet_group){.name = dupn("g", 4, i),
		    .profile = dupn("p", 3, i % n_profiles),
		    .priority = (int)i};
		if (i % 3 == 0)
			g->match.mac = mac_glob(i % 256);
		else if (i % 3 == 1)
			set_rack(&g->match.labels, i);
		else
			g->match.arch = (enum boot_arch)(1 + i % (_BOOT_ARCH_MAX - 1));
	}
	for (unsigned i = 0; i < n_machines; i++) {
		struct fleet_machine *m = &fleet.machines[fleet.n_machines++];

		m->mac[0] = 0x52, m->mac[1] = 0x54, m->mac[2] = (uint8_t)(i >> 16);
		m->mac[3] = (uint8_t)(i >> 8), m->mac[4] = (uint8_t)i, m->mac[5] = 1;
		set_rack(&m->labels, (i * 7) % n_groups);
	}
	fleet_sort(&fleet);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	unsigned nm = argc > 3 ? (unsigned)atoi(argv[1]) : 10000,
	         ng = argc > 3 ? (unsigned)atoi(argv[2]) : 500,
	         np = argc > 3 ? (unsigned)atoi(argv[3]) : 50,
	         rounds = argc > 4 ? (unsigned)atoi(argv[4]) : 200000;
	struct boot_view v = {.default_boot = true,
	    .cmdline = "quiet",
	    .machine = view_machine,
	    .image_exists = view_image_exists,
	    .image_only = view_image_only,
	    .image_cmdline = view_image_cmdline,
	    .profile = view_profile};
	double *t = calloc(rounds, sizeof(double));
	unsigned grouped = 0;

	if (nm == 0 || ng == 0 || np == 0 || rounds == 0 || t == NULL)
		return 2;
	make_fleet(nm, ng, np);
	v.groups = fleet.groups, v.n_groups = fleet.n_groups;
	srand(1);
	for (unsigned r = 0; r < rounds; r++) {
		unsigned i = (unsigned)rand() % (nm * 2); /* half of them unknown */
		struct boot_client c = {.firmware = BOOT_FIRMWARE_IPXE,
		    .has_mac = true,
		    .mac = {0x52, 0x54, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 1},
		    .platform = (enum boot_arch)(1 + i % (_BOOT_ARCH_MAX - 1))};
		struct boot_plan p;
		double t0 = now_us();

		if (boot_decide(&v, &c, BOOT_SERVICE_SCRIPT, &p) < 0)
			return 1;
		t[r] = now_us() - t0;
		grouped += p.group != NULL;
		boot_plan_done(&p);
	}
	qsort(t, rounds, sizeof(double), cmp_double);
	printf("fleet of %u machines, %u groups, %u profiles: %u decisions (%u by a group)\n", nm,
	    ng, np, rounds, grouped);
	printf("decision median %.2f us, p99 %.2f us, max %.2f us\n", t[rounds / 2],
	    t[rounds * 99 / 100], t[rounds - 1]);
	fleet_clear(&fleet);
	free(t);
	return 0;
}
