/*
 * Between the control server (control.c), its command handlers (cmd.h:
 * cmd.c, cmd-*.c) and the image import worker (import.c).  Loop thread only.
 */
#ifndef NETBOOTD_CONTROL_INTERNAL_H
#define NETBOOTD_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "control-proto.h"
#include "server.h"

#define CONTROL_MAX_GROUPS 256 /* supplementary groups of a peer we look at */

struct control_client;

/* Who is on the other end: SO_PEERCRED and SO_PEERGROUPS at accept time. */
struct control_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[CONTROL_MAX_GROUPS];
};

/* A handler's result: 0 reply ok with *ret_data; <0 reply err; CONTROL_PENDING replies later. */
#define CONTROL_PENDING 1

typedef int (*control_handler_fn)(
    struct control_client *c, const cJSON *args, cJSON **ret_data, struct control_status *err);

struct server *control_client_server(const struct control_client *c);
const struct control_peer *control_client_peer(const struct control_client *c);
/*
 * The open files that came with the current request (SCM_RIGHTS), at most
 * 'max', now owned by the caller; the number taken.  Files a handler does not
 * take are closed when the request is done.
 */
size_t control_client_take_fds(struct control_client *c, int *fds, size_t max);
/* Per-client slot for the command module (watch subscription, import). */
void **control_client_slot(struct control_client *c);

/* Send frames; a failure (or the output cap) drops the client later, on the loop. */
void control_client_send_event(struct control_client *c, const char *event, const cJSON *data);
void control_client_send_ok(struct control_client *c, const cJSON *data);
void control_client_send_error(struct control_client *c, const struct control_status *err);
/*
 * A state-changing CONTROL_PENDING request succeeded: share the change
 * (store_commit()), then reply ok with 'data' (taken) or the commit's error,
 * and take the next request.  Synchronous handlers get this done for them.
 */
void control_client_finish(struct control_client *c, cJSON *data);
/* A CONTROL_PENDING request finished (its reply sent): take the next one. */
void control_client_request_done(struct control_client *c);

#endif
