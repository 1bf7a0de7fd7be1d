/* Fuzz targets of the decoders of outside bytes. */
#ifndef RAFT_TESTS_FUZZ_H
#define RAFT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_LEN 4096

struct fuzz_seed {
	uint8_t *data;
	size_t len;
};

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid inputs to start mutating from (allocated with malloc). */
struct fuzz_seed *fuzz_seeds(size_t *n);
void fuzz_seeds_free(struct fuzz_seed *seeds, size_t n);

#endif /* RAFT_TESTS_FUZZ_H */
