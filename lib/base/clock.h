/*
 * Milliseconds of a clock: CLOCK_MONOTONIC for deadlines and intervals,
 * CLOCK_REALTIME for the times events carry.  (clock_gettime cannot fail
 * for these clocks.)
 */
#ifndef NETBOOTD_CLOCK_H
#define NETBOOTD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
