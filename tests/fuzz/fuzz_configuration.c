/* Fuzz target: the configuration decoder (CONF entries come from peers
 * and from disk). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "raft/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raft_configuration conf;
	struct raft_buf buf = {(void *)data, size};
	char err[256];
	raft_configuration_init(&conf);
	if (raft_configuration_decode(&buf, &conf, err, sizeof(err)) == 0) {
		/* What decodes must encode back to the same bytes. */
		struct raft_buf again;
		if (raft_configuration_encode(&conf, &again) != 0) {
			abort();
		}
		if (again.len != size || memcmp(again.base, data, size) != 0) {
			abort();
		}
		raft_free(again.base);
		raft_configuration_close(&conf);
	} else if (conf.n != 0) {
		abort(); /* a failed decode leaves conf empty */
	}
	return 0;
}

struct fuzz_seed *fuzz_seeds(size_t *n)
{
	struct fuzz_seed *seeds = calloc(2, sizeof(*seeds));
	struct raft_configuration conf;
	struct raft_buf buf;
	unsigned i;
	if (seeds == NULL) {
		abort();
	}
	raft_configuration_init(&conf);
	for (i = 0; i < 2; i++) {
		if (raft_configuration_add(&conf, i + 1, "127.0.0.1:7001 x",
					   i ? RAFT_LEARNER : RAFT_VOTER) !=
			0 ||
		    raft_configuration_encode(&conf, &buf) != 0) {
			abort();
		}
		seeds[i].data = malloc(buf.len);
		if (seeds[i].data == NULL) {
			abort();
		}
		memcpy(seeds[i].data, buf.base, buf.len);
		seeds[i].len = buf.len;
		raft_free(buf.base);
	}
	raft_configuration_close(&conf);
	*n = 2;
	return seeds;
}

void fuzz_seeds_free(struct fuzz_seed *seeds, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(seeds[i].data);
	}
	free(seeds);
}
