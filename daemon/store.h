/*
 * The persistent store in state_dir: images, machine assignments,
 * cloud-configs and settings.  These functions are the front (store.c);
 * the data is kept by a backend (store-backend.h), today the directories
 * and files described here (store-local*.c).
 *
 *   <state>/images/<name>/{kernel,initrd,rootfs.squashfs,manifest.json}
 *   <state>/configs/<name>.yaml
 *   <state>/machines.json   the fleet (lib/boot/fleet.h), see FLEET below:
 *                           {"machines":[{"mac","image","config","cmdline","cmdline_mode",
 *                                         "labels":{K:V},"profile"}],
 *                            "profiles":[{"name","image","config","cmdline","cmdline_mode",
 *                                         "loader","action"}],
 *                            "groups":[{"name","profile","priority",
 *                                       "match":{"mac","uuid","arch","interface","labels"}}]}
 *   <state>/settings.json   {"default_config","default_boot","default_image"}
 *   <state>/tftp/           created for the TFTP root default; not managed here
 *
 * Every change is atomic: written under a ".tmp-" name in the same directory,
 * fsync'ed, renamed into place, then the directory fsync'ed.  store_open()
 * removes everything named ".tmp-*" in state_dir, images/ and configs/
 * (half-written files, unfinished image transactions, images being removed).
 * A change to machines.json or settings.json reaches the disk BEFORE the
 * in-memory state changes: when the write fails, both stay as they were.
 *
 * Corrupt machines.json or settings.json: store_open() fails with -EBADMSG
 * and a message naming the file.  The daemon refuses to start rather than
 * start empty: an empty assignment table would let assigned machines fall
 * back to the default image, and Kairos images in install mode wipe disks.
 * Unknown keys in those files are ignored (forward compatibility); wrong
 * types, bad MACs, names, labels or selectors, duplicates and a fleet that
 * fleet_validate() refuses (without looking at images and configs) are
 * corruption.  A machines.json of before fleets (no "profiles", "groups",
 * "labels" or "profile") loads as it did.
 *
 * Removing an image that machines, profiles (or settings.default_image) use
 * is refused with -EBUSY unless forced.  Forced, the references are KEPT,
 * dangling, and their number reported: "remove-image x --force; add-image x"
 * keeps them, and a machine whose image is missing should get no boot script
 * at all (not the default image, which might install the wrong system).
 *
 * Images placed by hand (issue 2) keep working: a directory under images/
 * with a valid name and the three files but no valid manifest.json is listed
 * as a legacy image (manifest source type MANIFEST_SOURCE_LEGACY, sizes from
 * the files, no digests, created = the directory's mtime).
 *
 * THREADING.  A store belongs to the event-loop thread: every function is
 * loop-only, EXCEPT the store_txn_* functions, which may run on worker threads
 * concurrently with each other and with the loop.  They use only the
 * filesystem, the txn itself and the store's immutable paths and directory
 * fds; the set of names with an open txn is guarded by a mutex (a second
 * store_txn_begin() for the same name gets -EBUSY).  Committing publishes the
 * image with one rename, so loop functions that read images/ (list, get,
 * open) see either the old or the new image, never a half one.  No in-memory
 * image state exists, so nothing needs a commit step on the loop.  The
 * progress callback runs on the thread that called store_txn_populate_dir().
 * store_free() must come after every txn has been freed.
 *
 * Return values: 0 (or an fd / a count) on success, -errno on failure; ret_*
 * untouched on failure.  Common codes: -EINVAL bad name or argument, -ENOENT
 * no such image/config/machine, -EEXIST image exists (commit without force),
 * -EBUSY in use / txn already open, -E2BIG a cap reached, -EBADMSG corrupt
 * file, -ECANCELED cancelled, others from the filesystem (-ENOSPC, -EIO, ...).
 */
#ifndef NETBOOTD_STORE_H
#define NETBOOTD_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "fleet.h"
#include "mac.h"
#include "manifest.h"

#define STORE_MAX_MACHINES      65536
#define STORE_MAX_IMAGES        4096 /* listed; more directories are ignored */
#define STORE_MAX_CONFIGS       4096
#define STORE_MAX_CMDLINE       2048 /* as CONFIG_MAX_CMDLINE */
#define STORE_MACHINES_MAX_FILE (64 * 1024 * 1024)
#define STORE_SETTINGS_MAX_FILE (64 * 1024)

struct store;
struct store_txn;

struct store_settings {
	bool default_boot;    /* unknown machines boot the default image; default true */
	char *default_config; /* NULL: the YAML default.cloud_config / built-in one */
	char *default_image;  /* NULL: the YAML default.image, or the only image */
};

struct store_config_info {
	char name[MANIFEST_MAX_NAME + 1];
	uint64_t size;
	bool is_default;
};

/* "append" / "replace" (as machines.json writes them); parse returns -EINVAL for anything else. */
const char *store_cmdline_mode_name(enum boot_cmdline_mode m);
int store_cmdline_mode_parse(const char *s, enum boot_cmdline_mode *ret);

/*
 * Open (creating state_dir, images/, configs/ and tftp/ with mode 0755 if
 * missing), clean leftovers, load machines.json and settings.json (missing:
 * empty / defaults).  On failure *ret_error (may be NULL) gets a malloc'd
 * message naming the file.
 */
int store_open(const char *state_dir, struct store **ret, char **ret_error);
void store_free(struct store *s);
const char *store_state_dir(const struct store *s);
const char *store_images_dir(const struct store *s); /* <state>/images */

/*
 * ---- a store shared by several instances ----
 *
 * store_open_config() opens the backend netbootd.yaml's store.backend names:
 * "local" is store_open(state_dir); "etcd" keeps the desired state in etcd
 * (store-etcd.h, docs/cluster.md) and state_dir as this instance's mirror,
 * served from while etcd is away.  Only the etcd backend needs 'base' (the
 * loop its client runs on).
 *
 * With a shared store, a state-changing command changes the mirror as the
 * local store does, and the change becomes shared with store_commit(): one
 * etcd transaction of every document that changed, compared against the
 * revision the mirror is at.  A commit that fails (etcd unreachable, or the
 * state changed meanwhile through another instance) puts the mirror back to
 * what etcd has.  Call store_writable() first: it refuses while etcd is
 * unreachable or a commit is in flight, so that one command's change is
 * committed alone.  With the local store both are no-ops.
 */
struct event_base;
struct config;
int store_open_config(
    const struct config *cfg, struct event_base *base, struct store **ret, char **ret_error);
/* "local" or "etcd". */
const char *store_backend_name(const struct store *s);
/* This instance's name in a shared store; NULL for the local one. */
const char *store_instance_name(const struct store *s);
/*
 * 0: a change may start.  -EHOSTUNREACH: the shared store is unreachable;
 * -EAGAIN: a commit is in flight (wait for it); -EBUSY: cannot change now
 * (*ret_error says why).
 */
int store_writable(struct store *s, char **ret_error);
/* r = 0, or -EHOSTUNREACH (unreachable), -ESTALE (changed concurrently), ... with a message. */
typedef void (*store_commit_fn)(int r, const char *error, void *userdata);
/* 0: nothing to commit (fn is not called); 1: fn runs later on the loop, once. */
int store_commit(struct store *s, store_commit_fn fn, void *userdata);
/* The backend's state for status: NULL for the local store. */
cJSON *store_status_json(struct store *s);
/* Readiness of an image on every instance ({"a": "ready", "b": "fetching"}); NULL: local store. */
cJSON *store_image_instances(struct store *s, const char *name);
/*
 * A boot event of this instance, to share with the others (the etcd store
 * writes the machine's last event under this instance's lease); and the
 * events of the other instances, as they arrive.
 */
void store_observe(struct store *s, const cJSON *event);
typedef void (*store_observed_fn)(const char *instance, const cJSON *event, void *userdata);
void store_set_observed_callback(struct store *s, store_observed_fn fn, void *userdata);
/*
 * How the shared store gets an image's bytes from the other instances
 * (replicate.h, set by the server): fetch 'record' from 'sources' into this
 * store, then call done once on the loop.  0 or -errno (done not called).
 */
typedef void (*store_fetched_fn)(int r, const char *error, void *ctx);
typedef int (*store_fetch_fn)(const struct manifest *record, const char *const *sources,
    size_t n_sources, store_fetched_fn done, void *ctx, void *userdata);
void store_set_fetcher(struct store *s, store_fetch_fn fn, void *userdata);
/* Whether image 'name' is complete here (it may exist only as a shared record). */
bool store_image_ready(struct store *s, const char *name);
/* The other instances' machines: {instance: {mac: event}}; NULL: local store. */
cJSON *store_observed_machines(struct store *s);

/* ---- images (loop thread) ---- */

/* Every image, sorted by name; free with store_image_list_free(). */
int store_image_list(struct store *s, struct manifest ***ret, size_t *ret_n);
void store_image_list_free(struct manifest **list, size_t n);
/*
 * How many images there are, cheaply (for status and /metrics): without
 * reading any manifest.json.  Counted are the directories under images/ with
 * a valid name and the three files (at most STORE_MAX_IMAGES), so images
 * placed by hand count too.  The count is cached while the timestamps of
 * images/ stay the same (an image added, removed or placed by hand changes
 * them); a file deleted by hand inside an image is seen at the next change.
 */
int store_image_count(struct store *s, size_t *ret_n);
/* One image's manifest (legacy ones synthesized); -ENOENT. */
int store_image_get(struct store *s, const char *name, struct manifest **ret);
bool store_image_exists(struct store *s, const char *name);
/* Open one file of an image read-only: an fd and its size; -ENOENT. */
int store_image_open(struct store *s, const char *name, enum manifest_file f, off_t *ret_size);
/* Machines assigned to the image (by their entry, not through a profile). */
size_t store_image_assigned(const struct store *s, const char *name);
/* Machines assigned to the image and profiles naming it, plus 1 if it is settings.default_image. */
size_t store_image_users(const struct store *s, const char *name);
/*
 * Remove an image: -ENOENT; -EBUSY if it has users and !force.  Open fds of
 * its files stay readable.  *ret_dangling (may be NULL) = users left dangling.
 */
int store_image_remove(struct store *s, const char *name, bool force, size_t *ret_dangling);
/*
 * The only directory under images/ (an image, or one being placed by hand),
 * if there is exactly one: its malloc'd name in *ret; -ENOENT otherwise.
 * The boot decision falls back to it when no default image is set
 * (boot_default_image(), lib/boot-policy.h).
 */
int store_image_only(struct store *s, char **ret);

/*
 * Open the image file whose SHA-256 is 'sha256_hex' (64 hex digits, either
 * case) read-only, whichever image holds it: an fd and its size.  Only
 * files of complete, committed images with a manifest count (legacy images
 * have no digests; transactions are not images yet).  -EINVAL for a
 * malformed digest, -ENOENT for an unknown one (or a file that no longer
 * has the size its manifest says).
 *
 * Through a digest index built from store_image_list() and kept in memory:
 * rebuilt when the image set changed since (a commit or a removal through
 * the store, or a change of store_image_count(): an image placed or removed
 * by hand), and once more when the file it names is gone.  Looking up an
 * unknown digest costs a binary search and no I/O beyond the count.
 */
int store_blob_open(struct store *s, const char *sha256_hex, off_t *ret_size);

/* ---- image transactions (any thread, see THREADING) ---- */

/* Progress: 'done' of 'total' bytes of 'file' ("kernel", ...) copied. */
typedef void (*store_progress_fn)(const char *file, uint64_t done, uint64_t total, void *userdata);

/* Start building image 'name' in images/.tmp-<name>-XXXXXX.  -EBUSY if a txn for it is open. */
int store_txn_begin(struct store *s, const char *name, struct store_txn **ret);
/*
 * The kind of the new image (MANIFEST_KIND_LINUX unless set): which files
 * populate and commit take and check.  Before either.
 */
void store_txn_set_kind(struct store_txn *t, enum manifest_kind kind);
/* Absolute path where file f of the new image is to be written (by any producer). */
const char *store_txn_path(const struct store_txn *t, enum manifest_file f);
/*
 * Create file f of the new image (O_EXCL, never through a symlink) and
 * return its descriptor, to write through (the caller closes it); -errno.
 */
int store_txn_create(const struct store_txn *t, enum manifest_file f);
/*
 * Copy kernel, initrd and rootfs.squashfs from directory 'src_dir' into the
 * txn, computing SHA-256 digests.  'cancel' (may be NULL) is checked between
 * 1 MiB chunks (-ECANCELED).  Checks: kernel and initrd non-empty,
 * rootfs.squashfs starts with "hsqs" (-EINVAL with a message).
 */
int store_txn_populate_dir(struct store_txn *t, const char *src_dir, store_progress_fn progress,
    void *userdata, const atomic_bool *cancel, char **ret_error);
/*
 * The same from open files (kernel, initrd, rootfs.squashfs, in that order;
 * boot.efi alone for an EFI image), for instance passed by a client; 'src' names them in messages.  The fds
 * stay the caller's.
 */
int store_txn_populate_fds(struct store_txn *t, const int fds[MANIFEST_N_FILES], const char *src,
    store_progress_fn progress, void *userdata, const atomic_bool *cancel, char **ret_error);
/*
 * Publish the image: files not populated by store_txn_populate_dir() are
 * digested now; the checks above run; files, manifest.json and the directory
 * are fsync'ed, then renamed to images/<name>.  If the image exists: -EEXIST,
 * or with 'force' the two are swapped atomically (renameat2 RENAME_EXCHANGE)
 * and the old one removed (open fds keep working).  'source' is the path or
 * OCI reference, 'cmdline' may be NULL.  The new manifest in *ret (may be
 * NULL).  After a failure the txn can still be freed (aborted).
 */
int store_txn_commit(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error);
/* Free a txn; an uncommitted one is aborted (its temp directory removed). */
/*
 * The manifest's origin (manifest.h): an http(s) URL template where the
 * files can be fetched too, and whether boot scripts point there.  Before
 * the commit; -EINVAL for a bad URL.
 */
int store_txn_set_origin(struct store_txn *t, const char *url, bool boot);
void store_txn_free(struct store_txn *t);

/* ---- the fleet: machines, profiles, groups (loop thread) ---- */

/*
 * FLEET.  The desired state is one struct fleet, kept whole in memory and
 * in machines.json: machines by MAC (labels, and a profile or an
 * assignment), profiles and groups.  Its configs are empty: the store keeps
 * cloud-configs apart, in configs/.
 *
 * Every change below builds the would-be fleet and checks it with
 * fleet_validate() against the store's images and cloud-configs before
 * anything is written; a refusal (-EINVAL and a message in *ret_error,
 * which may be NULL) or a failed write leaves memory and disk as they were.
 * References that the running fleet has already left dangling (an image
 * removed with --force) stay acceptable, so that the rest of the fleet can
 * still change and an export applies again; new ones are refused.
 */

/* The current fleet: sorted and valid, no configs.  Valid until the next change. */
const struct fleet *store_fleet(struct store *s);
/*
 * A deep copy of the fleet with every stored cloud-config (its content) in
 * ret->configs: what `export` writes and `apply` merges a file into.
 * Release with fleet_clear().  -ENOMEM, -errno reading a config.
 */
int store_fleet_copy(struct store *s, struct fleet *ret);

/* A machine's entry, NULL if none.  The pointer is valid until the next change. */
const struct fleet_machine *store_machine_get(const struct store *s, const uint8_t mac[MAC_LEN]);
/* All machines, sorted by MAC; valid until the next change. */
const struct fleet_machine *store_machine_list(const struct store *s, size_t *ret_n);
/*
 * netbootctl assign: m's image (NULL: the default image), config and
 * command line become the machine's assignment, its profile is cleared and
 * its labels kept (m's labels and profile are not used); an unknown MAC gets
 * an entry.  -EINVAL bad name/cmdline, -ENOENT the image does not exist,
 * -ENOKEY the config does not exist, -E2BIG STORE_MAX_MACHINES reached.
 */
int store_machine_assign(struct store *s, const struct fleet_machine *m);
/*
 * netbootctl unassign: clear the assignment and the profile; the entry goes
 * when it has no labels left.  -ENOENT no entry for the MAC.
 */
int store_machine_unassign(struct store *s, const uint8_t mac[MAC_LEN]);
/*
 * netbootctl label: set the labels of 'set' (adding or replacing keys) and
 * then remove the keys of 'remove' on machine 'mac'.  An unknown MAC gets a
 * labels-only entry; an entry left with nothing at all goes.  -EINVAL a bad
 * key or value, -ENOENT a key to remove that the machine lacks (both with
 * a message), -E2BIG more than FLEET_MAX_LABELS labels or machines.
 */
int store_machine_label(struct store *s, const uint8_t mac[MAC_LEN], const struct fleet_labels *set,
    const char *const *remove, size_t n_remove, char **ret_error);

/* Add or replace profile p->name (copied).  -EINVAL with a message (a missing image, ...). */
int store_profile_set(struct store *s, const struct fleet_profile *p, char **ret_error);
/* -ENOENT; -EBUSY (with a message naming the user) while a group or machine names it. */
int store_profile_remove(struct store *s, const char *name, char **ret_error);
/* Add or replace group g->name (copied).  -EINVAL with a message (a tie, no such profile, ...). */
int store_group_set(struct store *s, const struct fleet_group *g, char **ret_error);
int store_group_remove(struct store *s, const char *name); /* -ENOENT */

/*
 * Whether 'next' (a whole fleet whose configs are ALL the cloud-configs the
 * store is to have, as fleet_merge() of store_fleet_copy() and a fleet file
 * gives) may replace the running fleet: fleet_validate() as above, every
 * config it would write (new or changed) is a valid cloud-config, and no
 * config the settings use (default_config) goes.  0, or -EINVAL / -EBUSY
 * with a message.  Nothing is changed.
 */
int store_fleet_check(struct store *s, const struct fleet *next, char **ret_error);
/*
 * Apply 'next' (see store_fleet_check(), which runs first): all or nothing.
 * The configs of next->configs that are new or changed are first written
 * under ".tmp-" names in configs/ and fsync'ed; then machines.json is
 * written (THE COMMIT POINT: the new fleet is current from here on); then
 * those configs are renamed into place and the stored configs next lacks
 * are removed.  Any failure before the commit point removes the temporary
 * files and changes nothing.
 *
 * The one window left: a crash after the commit point and before the
 * renames leaves the new fleet with the OLD contents of the changed configs
 * and without the new ones (store_open() removes the ".tmp-" files);
 * applying the file again repairs it.  A failure of a rename after the
 * commit point is returned (-errno, the message says the fleet was
 * applied); a failed removal of a pruned config is logged and ignored.
 */
int store_fleet_apply(struct store *s, const struct fleet *next, char **ret_error);

/* ---- cloud-configs (loop thread) ---- */

/* Validate (lib/cloud-config.h) and store; -EINVAL with a message in *ret_error. */
int store_config_set(
    struct store *s, const char *name, const char *content, size_t len, char **ret_error);
/* Content (NUL-terminated, malloc'd) and length; -ENOENT. */
int store_config_get(struct store *s, const char *name, char **ret, size_t *ret_len);
bool store_config_exists(struct store *s, const char *name);
/* Sorted by name; free(*ret). */
int store_config_list(struct store *s, struct store_config_info **ret, size_t *ret_n);
/* -ENOENT; -EBUSY if a machine or profile uses it or it is the default. */
int store_config_remove(struct store *s, const char *name);

/* ---- settings (loop thread) ---- */

const struct store_settings *store_settings(const struct store *s);
int store_set_default_boot(struct store *s, bool enabled);
/* NULL clears; -ENOENT if the config / image does not exist. */
int store_set_default_config(struct store *s, const char *name);
int store_set_default_image(struct store *s, const char *name);

#endif
