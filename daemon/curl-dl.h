/*
 * libcurl, loaded with dlopen() when first needed (systemd's dlopen-*.c):
 * the etcd backend and the replication of images use it, a daemon with the
 * local store never loads it nor the ~30 libraries it pulls in.
 *
 * Call sites call through the sym_ pointers, declared with libcurl's own
 * prototypes.  (curl's GCC type checks in <curl/typecheck-gcc.h> are macros
 * named like the functions, so they do not apply to sym_curl_easy_setopt()
 * and the like: pass CURLOPT_ values of the documented type, long for
 * numbers.)
 *
 * Threading: curl_dl_open() runs curl_global_init(), which is not safe
 * while another thread uses libcurl: open it on the loop thread before any
 * thread that uses it starts.  The pointers do not change after that.
 */
#ifndef NETBOOTD_CURL_DL_H
#define NETBOOTD_CURL_DL_H

#include <curl/curl.h>

#define CURL_DL_SONAME "libcurl.so.4"

/* Every function the daemon calls: X(name). */
#define CURL_DL_SYMBOLS(X)                                                                         \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_pause)                                                                         \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_reset)                                                                         \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_strerror)                                                                      \
	X(curl_global_cleanup)                                                                     \
	X(curl_global_init)                                                                        \
	X(curl_multi_add_handle)                                                                   \
	X(curl_multi_assign)                                                                       \
	X(curl_multi_cleanup)                                                                      \
	X(curl_multi_info_read)                                                                    \
	X(curl_multi_init)                                                                         \
	X(curl_multi_remove_handle)                                                                \
	X(curl_multi_setopt)                                                                       \
	X(curl_multi_socket_action)                                                                \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

#define CURL_DL_DECLARE(name) extern __typeof__(name) *sym_##name;
CURL_DL_SYMBOLS(CURL_DL_DECLARE)
#undef CURL_DL_DECLARE

/*
 * Loads CURL_DL_SONAME, resolves every sym_ pointer and calls
 * curl_global_init(), the first time; later calls return 0 at once.  On
 * failure: -EOPNOTSUPP (the library or a symbol is missing) or -ENOMEM
 * (curl_global_init() failed), the pointers stay NULL, a malloc'd message
 * (dlerror()'s, e.g. "libcurl.so.4: cannot open shared object file: No
 * such file or directory") in *ret_error, and the next call tries again.
 */
int curl_dl_open(char **ret_error);
/* curl_global_cleanup() if it was opened; a later curl_dl_open() inits again. */
void curl_dl_close(void);

#endif
