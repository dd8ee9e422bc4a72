/*
 * libcurl through dlopen() (curl-dl.h).
 */
#include "curl-dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "util.h"

#define CURL_DL_DEFINE(name) __typeof__(name) *sym_##name = NULL;
CURL_DL_SYMBOLS(CURL_DL_DEFINE)
#undef CURL_DL_DEFINE

#define CURL_DL_ENTRY(name) {#name, (void **)&sym_##name},
static const struct {
	const char *name;
	void **ptr;
} curl_dl_symbols[] = {CURL_DL_SYMBOLS(CURL_DL_ENTRY)};
#undef CURL_DL_ENTRY

static pthread_mutex_t curl_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static void *curl_dl_handle; /* never closed: RTLD_NODELETE, like systemd */
static bool curl_dl_ready;   /* resolved and curl_global_init() done */

static void
curl_dl_forget(void)
{
	for (size_t i = 0; i < ELEMENTSOF(curl_dl_symbols); i++)
		*curl_dl_symbols[i].ptr = NULL;
}

/* Every sym_ pointer, or -EOPNOTSUPP with dlerror()'s message. */
static int
curl_dl_resolve(char **ret_error)
{
	if (curl_dl_handle == NULL &&
	    (curl_dl_handle = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_NODELETE)) == NULL)
		return error_set(ret_error, -EOPNOTSUPP, "%s", dlerror());
	for (size_t i = 0; i < ELEMENTSOF(curl_dl_symbols); i++) {
		(void)dlerror();
		*curl_dl_symbols[i].ptr = dlsym(curl_dl_handle, curl_dl_symbols[i].name);
		if (*curl_dl_symbols[i].ptr == NULL) {
			const char *why = dlerror(); /* "libcurl.so.4: undefined symbol: ..." */

			curl_dl_forget();
			if (why != NULL)
				return error_set(ret_error, -EOPNOTSUPP, "%s", why);
			return error_set(ret_error, -EOPNOTSUPP, "%s: symbol %s is NULL",
			    CURL_DL_SONAME, curl_dl_symbols[i].name);
		}
	}
	return 0;
}

int
curl_dl_open(char **ret_error)
{
	CURLcode c;
	int r = 0;

	pthread_mutex_lock(&curl_dl_lock);
	if (curl_dl_ready)
		goto out;
	if ((r = curl_dl_resolve(ret_error)) < 0)
		goto out;
	if ((c = sym_curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		r = error_set(
		    ret_error, -ENOMEM, "curl_global_init() failed: %s", sym_curl_easy_strerror(c));
		curl_dl_forget();
		goto out;
	}
	curl_dl_ready = true;
out:
	pthread_mutex_unlock(&curl_dl_lock);
	return r;
}

void
curl_dl_close(void)
{
	pthread_mutex_lock(&curl_dl_lock);
	if (curl_dl_ready) {
		sym_curl_global_cleanup();
		curl_dl_forget();
		curl_dl_ready = false;
	}
	pthread_mutex_unlock(&curl_dl_lock);
}
