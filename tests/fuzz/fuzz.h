/*
 * Fuzz targets implement LLVMFuzzerTestOneInput().  Built with -Dfuzzer=true
 * they link libFuzzer; otherwise fuzz-main.c replays every file of the
 * target's corpus directory (crash reproducers included) as a normal test.
 */
#ifndef NETBOOTD_FUZZ_H
#define NETBOOTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: checked in every build (unlike assert). */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(                                                                   \
			    stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
