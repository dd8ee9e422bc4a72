/*
 * The control socket (netbootctl(1)): a Unix stream socket at
 * control.socket speaking the framed JSON protocol of lib/control-proto.h.
 *
 * The socket is mode 0660, owner root, group control.group (0600 root only
 * when that group does not exist).  Every connection is authorised per
 * request with SO_PEERCRED and SO_PEERGROUPS: read-only commands for anyone
 * who can open the socket, state-changing ones for uid 0 and members of
 * control.group.
 *
 * Caps: CONTROL_MAX_CLIENTS connections (more get a "busy" error frame and
 * are closed), CONTROL_MAX_FRAME bytes per frame, CONTROL_MAX_OUTPUT bytes
 * queued for one client (a watcher that stops reading is dropped).
 */
#ifndef NETBOOTD_CONTROL_H
#define NETBOOTD_CONTROL_H

#include "server.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_MAX_OUTPUT  (4 * 1024 * 1024)

struct control_server;

/* Create the socket and listen on srv->base.  0 or -errno (logged). */
int control_server_new(struct server *srv, struct control_server **ret);
/* Close every connection, cancel and wait for imports, remove the socket.  Accepts NULL. */
void control_server_free(struct control_server *s);
/* Connected clients now; 0 for NULL. */
unsigned control_server_clients(const struct control_server *s);

#endif
