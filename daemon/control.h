/*
 * The control socket (netbootctl(1)): a Unix stream socket at
 * control.socket speaking the framed JSON protocol of lib/control-proto.h.
 *
 * Socket activation: a listening Unix stream socket passed by systemd
 * (netbootd.socket, LISTEN_FDS) is used as it is, never bound, chmod'ed,
 * chown'ed nor unlinked, and kept across reloads.  Otherwise netbootd binds
 * control.socket itself, mode 0660: as root owner root and group
 * control.group; as another user its own uid and control.group if it is a
 * member; 0600 when that group does not exist or is not ours.  Every connection is authorised per
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

#include <stdbool.h>

#include "server.h"

#define CONTROL_MAX_CLIENTS 64
#define CONTROL_MAX_OUTPUT  (4 * 1024 * 1024)

struct control_server;

/* Create the socket and listen on srv->base.  0 or -errno (logged). */
int control_server_new(struct server *srv, struct control_server **ret);
/*
 * After a reload: listen at the new control.socket, or give the socket the
 * new control.group.  Connected clients and their requests (running
 * imports, watches) stay.  On failure (logged) the old socket stays.  A
 * socket from systemd is left as it is.
 */
int control_server_reopen(struct control_server *s);
/* Close every connection (cancelling their imports) and remove the socket.  Accepts NULL. */
void control_server_free(struct control_server *s);
/* Whether the socket came from systemd (socket activation); false for NULL. */
bool control_server_activated(const struct control_server *s);
/* Connected clients now; 0 for NULL. */
unsigned control_server_clients(const struct control_server *s);

#endif
