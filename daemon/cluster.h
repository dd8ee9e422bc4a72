/* The server's side of a shared store: boot events both ways, image fetching (cluster.c). */
#ifndef NETBOOTD_CLUSTER_H
#define NETBOOTD_CLUSTER_H

#include "server.h"

/* After the store and the progress recorder are open; a no-op for the local store. */
int cluster_start(struct server *srv);
/* Before they are freed. */
void cluster_stop(struct server *srv);

#endif
