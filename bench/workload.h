/* The synthetic access pattern the trace and replay benchmarks share: 70%
 * strided runs of 64 accesses (strides 8 B to 256 B), 30% uniformly random,
 * over a region; reproducible from a fixed xorshift seed. */
#ifndef MMUSIM_BENCH_WORKLOAD_H
#define MMUSIM_BENCH_WORKLOAD_H

#include <stdint.h>

struct workload {
	uint64_t rng, region, cursor, stride, run;
};

static inline struct workload workload_start(uint64_t region)
{
	return (struct workload){.rng = 88172645463325252ull, .region = region, .stride = 8};
}

/* The next random word, and the offset in the region it picks. */
static inline uint64_t workload_next(struct workload *w, uint64_t *offset)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	uint64_t x = w->rng;
	if ((x >> 4) % 10 < 7) {
		if (!w->run) {
			w->cursor = (x >> 16) % w->region;
			w->stride = 8u << ((x >> 12) % 6);
			w->run = 64;
		}
		w->run--;
		w->cursor = (w->cursor + w->stride) % w->region;
		*offset = w->cursor;
	} else {
		*offset = (x >> 20) % w->region;
	}
	return x;
}

#endif
