/* A stand-alone driver for the fuzz targets: without libFuzzer, it runs
 * each target over its seed inputs and over seeded random mutations of
 * them, so that `make check` exercises every decoder of outside bytes.
 * With libFuzzer (clang -fsanitize=fuzzer), link the target without this
 * file. Usage: fuzz_X [ITERATIONS [SEED]]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static uint64_t rng_state;

static uint64_t next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One random edit: flip a bit, set a byte, cut, duplicate a run, or
 * write an extreme integer. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	size_t at = len ? next() % len : 0;
	switch (next() % 6) {
	case 0:
		if (len) {
			buf[at] ^= (uint8_t)(1u << (next() % 8));
		}
		break;
	case 1:
		if (len) {
			buf[at] = (uint8_t)next();
		}
		break;
	case 2:
		len = len ? next() % len : 0;
		break;
	case 3: {
		size_t n = 1 + next() % 16;
		if (len + n <= cap && at + n <= len) {
			memmove(buf + at + n, buf + at, len - at);
			len += n;
		}
		break;
	}
	case 4:
		if (at + 4 <= len) {
			uint32_t v = (next() & 1) ? 0xffffffffu : 0x7fffffffu;
			memcpy(buf + at, &v, 4);
		}
		break;
	default:
		if (len + 1 <= cap) {
			buf[len++] = (uint8_t)next();
		}
		break;
	}
	return len;
}

int main(int argc, char **argv)
{
	unsigned long iterations =
	    argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	unsigned long i;
	size_t n_seeds = 0, s;
	struct fuzz_seed *seeds;
	uint8_t buf[FUZZ_MAX_LEN];
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	seeds = fuzz_seeds(&n_seeds);
	for (s = 0; s < n_seeds; s++) {
		LLVMFuzzerTestOneInput(seeds[s].data, seeds[s].len);
	}
	for (i = 0; i < iterations; i++) {
		const struct fuzz_seed *seed = &seeds[next() % n_seeds];
		size_t len = seed->len < sizeof(buf) ? seed->len : sizeof(buf);
		unsigned k, edits = 1 + (unsigned)(next() % 4);
		memcpy(buf, seed->data, len);
		for (k = 0; k < edits; k++) {
			len = mutate(buf, len, sizeof(buf));
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	fuzz_seeds_free(seeds, n_seeds);
	printf("%s: %zu seeds and %lu mutations decoded without a crash\n",
	       argv[0], n_seeds, iterations);
	return 0;
}
