/* compute_threads — steady computation split over threads, for bench_smp.
 *
 * usage: compute_threads [THREADS [ROUNDS]] (default 1 thread, 40 rounds).
 * ROUNDS rounds of work are shared out among THREADS pthreads (the main
 * thread waits): each round hashes registers and runs a multiply-add over
 * the thread's own 64 KiB array, so the work, the guest instructions and
 * the result hardly depend on THREADS; only the page faults of the
 * threads' stacks and arrays and the clone/futex calls do.
 *
 * Prints the sum of the threads' results (the same for any THREADS);
 * exits 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS (64 * 1024 / 8)

struct work {
	int first, rounds;
	uint64_t result;
	pthread_t th;
};

static uint64_t one_round(uint64_t *a, int round)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)round;
	for (int i = 0; i < 200000; i++)
		h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull + (uint64_t)i;
	for (int i = 0; i < WORDS; i++)
		a[i] = a[i] * 31 + h + (uint64_t)i;
	uint64_t s = 0;
	for (int i = 0; i < WORDS; i++)
		s += a[i] ^ (a[(i * 7) % WORDS] >> 3);
	return s ^ h;
}

static void *worker(void *arg)
{
	struct work *w = arg;
	uint64_t *a = calloc(WORDS, 8);
	if (!a)
		return NULL;
	for (int r = w->first; r < w->first + w->rounds; r++) {
		for (int i = 0; i < WORDS; i++)
			a[i] = (uint64_t)r;   /* each round alone: the result does not depend on the split */
		w->result += one_round(a, r);
	}
	free(a);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1, rounds = argc > 2 ? atoi(argv[2]) : 40;
	if (threads < 1 || threads > 64 || rounds < 1)
		return 2;
	struct work *w = calloc((size_t)threads, sizeof *w);
	if (!w)
		return 1;
	for (int t = 0, at = 0; t < threads; t++) {
		w[t].first = at;
		w[t].rounds = rounds / threads + (t < rounds % threads);
		at += w[t].rounds;
		if (pthread_create(&w[t].th, NULL, worker, &w[t]) != 0)
			return 1;
	}
	uint64_t sum = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(w[t].th, NULL);
		sum += w[t].result;
	}
	printf("%llx\n", (unsigned long long)sum);
	free(w);
	return 0;
}
