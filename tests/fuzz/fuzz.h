/*
 * Fuzz targets implement LLVMFuzzerTestOneInput().  Built with -Dfuzzer=true
 * they link libFuzzer; otherwise fuzz-main.c replays every file of the
 * target's corpus directory (crash reproducers included) as a normal test.
 */
#ifndef NETBOOTD_FUZZ_H
#define NETBOOTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
