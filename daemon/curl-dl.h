/*
 * libcurl, loaded with dlopen() when first needed (systemd's dlopen-*.c):
 * the etcd backend and the replication of images use it, a daemon with the
 * local store never loads it nor the ~30 libraries it pulls in.
 *
 * Call sites call through the sym_ pointers, declared with libcurl's own
 * prototypes.  curl's GCC type checks in <curl/typecheck-gcc.h> are macros
 * named like the functions, so they do not apply to sym_curl_easy_setopt()
 * and sym_curl_easy_getinfo(): a compile-only build with CURL_DL_TYPECHECK
 * (daemon/meson.build) runs them.  They accept an int for a long option:
 * pass numbers as long (1L, (long)n).
 *
 * Threading: curl_dl_open() runs curl_global_init(), which is not safe
 * while another thread uses libcurl: open it on the loop thread before any
 * thread that uses it starts.  The pointers do not change after that.
 */
#ifndef NETBOOTD_CURL_DL_H
#define NETBOOTD_CURL_DL_H

#include <curl/curl.h>

#define CURL_DL_SONAME "libcurl.so.4"

/*
 * Every function the daemon calls, X(name): first the two that curl's GCC
 * type checks cover.
 */
#define CURL_DL_SYMBOLS_CHECKED(X)                                                                 \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_setopt)
#define CURL_DL_SYMBOLS_UNCHECKED(X)                                                               \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_pause)                                                                         \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_reset)                                                                         \
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
#define CURL_DL_SYMBOLS(X) CURL_DL_SYMBOLS_CHECKED(X) CURL_DL_SYMBOLS_UNCHECKED(X)

#define CURL_DL_DECLARE(name) extern __typeof__(name) *sym_##name;
#ifndef CURL_DL_TYPECHECK
CURL_DL_SYMBOLS(CURL_DL_DECLARE)
#else
/*
 * The compile-only build of the call sites (daemon/meson.build, never
 * linked): they call libcurl by name there, so that <curl/typecheck-gcc.h>
 * checks every option's argument.
 */
CURL_DL_SYMBOLS_UNCHECKED(CURL_DL_DECLARE)
#define sym_curl_easy_getinfo curl_easy_getinfo
#define sym_curl_easy_setopt  curl_easy_setopt
#endif
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
