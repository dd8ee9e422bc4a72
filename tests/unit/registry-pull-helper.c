/*
 * registry_pull() from the command line, for tests/integration/test-registry.sh:
 *
 *   registry-pull-helper [--auth FILE] [--insecure HOST:PORT]... [--platform P]
 *                        [--retries N] [--delay-ms N] --cache DIR REF
 *
 * Prints "manifest <digest> <media type>", "config <digest> <size> <path>"
 * and one "layer <digest> <size> <media type> <path>" per layer; on failure
 * the message on stderr and exit status 1 (2 for usage).  SIGINT/SIGTERM set
 * the cancel flag.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "registry.h"

static atomic_bool cancel_flag;

static void
on_signal(int sig)
{
	atomic_store(&cancel_flag, true);
}

static void
on_progress(const char *digest, uint64_t done, uint64_t total, void *userdata)
{
	if (getenv("REGISTRY_PULL_PROGRESS") != NULL && done == total)
		fprintf(stderr, "progress %s %llu/%llu\n", digest, (unsigned long long)done,
		    (unsigned long long)total);
}

static void
print_image(const struct oci_image *img)
{
	printf("manifest %s %s\n", img->manifest_digest, img->manifest_media_type);
	printf("config %s %llu %s\n", img->config.digest, (unsigned long long)img->config.size,
	    img->config.path);
	for (size_t i = 0; i < img->n_layers; i++)
		printf("layer %s %llu %s %s\n", img->layers[i].digest,
		    (unsigned long long)img->layers[i].size, img->layers[i].media_type,
		    img->layers[i].path);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {{"auth", required_argument, NULL, 'a'},
	    {"insecure", required_argument, NULL, 'i'}, {"platform", required_argument, NULL, 'p'},
	    {"cache", required_argument, NULL, 'c'}, {"retries", required_argument, NULL, 'r'},
	    {"delay-ms", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
	const char *insecure[9] = {NULL}, *platform = NULL, *cache = NULL;
	struct registry_opts opts = {.insecure = insecure};
	struct oci_image *img = NULL;
	size_t n_insecure = 0;
	char *err = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'a')
			opts.auth_file = optarg;
		else if (c == 'i' && n_insecure < 8)
			insecure[n_insecure++] = optarg;
		else if (c == 'p')
			platform = optarg;
		else if (c == 'c')
			cache = optarg;
		else if (c == 'r')
			opts.max_retries = (unsigned)atoi(optarg);
		else if (c == 'd')
			opts.retry_delay_ms = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (cache == NULL || optind + 1 != argc) {
		fprintf(stderr, "usage: registry-pull-helper [options] --cache DIR REF\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = registry_pull(
	    &opts, argv[optind], platform, cache, on_progress, NULL, &cancel_flag, &img, &err);
	if (r < 0) {
		fprintf(stderr, "error (%s): %s\n", strerror(-r), err ? err : "(no message)");
		free(err);
		return 1;
	}
	print_image(img);
	oci_image_free(img);
	return 0;
}
