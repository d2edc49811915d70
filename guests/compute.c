/* compute — steady computation with few faults: the workload bench_run
 * times (raw Unicorn against mmusim's functional and timing modes).
 *
 * Memory behaviour: after start-up, malloc takes five working sets (the
 * 4 MiB, both 1 MiB and the 128 KiB ones from mmap(2), above glibc's mmap
 * threshold; the matrices from the brk heap) and the program touches each
 * page while filling them: with start-up's, about 1,700 page faults on
 * 4 KiB pages, and after that none, however many rounds run (qsort's
 * scratch buffer is reused). Each round runs five kernels over them:
 *   alu     a multiply/xor/rotate hash chain in registers (no memory access)
 *   matmul  C = A x B on 96 x 96 integer matrices (108 KiB): loads
 *   sort    qsort of 32,768 pseudo-random 32-bit keys (128 KiB) through a
 *           comparison function, as library code runs
 *   chase   1,048,576 dependent loads along one random cycle through a
 *           4 MiB table: a new page on almost every load (TLB misses)
 *   copy    memcpy/memset of 1 MiB blocks (the C library's string code)
 * ROUNDS (argv[1], default 1, 1..100000) repeats them; KERNEL (argv[2],
 * default all) runs only one of them. Only integer arithmetic, so the
 * results are the same on every architecture.
 *
 * Prints: "compute: <kernel> x <rounds>, checksum <hex>" where the checksum
 * mixes every kernel's result, then exits 0 (2 for bad arguments, 1 when
 * malloc fails). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAT 96
#define SORT_N 32768
#define CHASE_N (1u << 20)
#define COPY_BYTES (1u << 20)

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t alu(uint64_t seed)
{
	uint64_t a = seed | 1, b = seed ^ 0xDEADBEEFCAFEF00Dull;
	for (uint32_t i = 0; i < 1000000; i++) {
		a = a * 0x5851F42D4C957F2Dull + b;
		b ^= (a >> 29) | (a << 35);
		b += i;
	}
	return a ^ b;
}

static uint64_t matmul(const uint32_t *a, const uint32_t *b, uint32_t *c)
{
	for (int i = 0; i < MAT; i++)
		for (int j = 0; j < MAT; j++) {
			uint32_t s = 0;
			for (int k = 0; k < MAT; k++)
				s += a[i * MAT + k] * b[k * MAT + j];
			c[i * MAT + j] = s;
		}
	uint64_t h = 0;
	for (int i = 0; i < MAT * MAT; i += 7)
		h = mix(h, c[i]);
	return h;
}

static int compare_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

static uint64_t sort(uint32_t *keys)
{
	for (int i = 0; i < SORT_N; i++)
		keys[i] = (uint32_t)(next_random() >> 16);
	qsort(keys, SORT_N, sizeof keys[0], compare_u32);
	uint64_t h = 0;
	for (int i = 0; i < SORT_N; i += 97)
		h = mix(h, keys[i]);
	return h;
}

static uint64_t chase(const uint32_t *next)
{
	uint32_t at = 0;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < CHASE_N; i++) {
		at = next[at];
		sum = sum * 3 + at;   /* depends on the order of the walk */
	}
	return sum;
}

static uint64_t copy(unsigned char *from, unsigned char *to, uint32_t round)
{
	uint64_t h = 0;
	for (int i = 0; i < 8; i++) {
		memset(from, (int)(round + (uint32_t)i) & 0xff, COPY_BYTES / 2);
		memcpy(to, from, COPY_BYTES);
		h = mix(h, to[(round * 4099u + (uint32_t)i * 65537u) % COPY_BYTES]);
	}
	return h;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 1;
	const char *kernel = argc > 2 ? argv[2] : "all";
	if (argc > 1) {
		char *end;
		rounds = strtoul(argv[1], &end, 10);
		if (*end != '\0' || rounds < 1 || rounds > 100000) {
			fprintf(stderr, "usage: %s [ROUNDS, 1..100000] [all|alu|matmul|sort|chase|copy]\n", argv[0]);
			return 2;
		}
	}
	bool all = !strcmp(kernel, "all");
	bool run_alu = all || !strcmp(kernel, "alu"), run_mat = all || !strcmp(kernel, "matmul"),
	     run_sort = all || !strcmp(kernel, "sort"), run_chase = all || !strcmp(kernel, "chase"),
	     run_copy = all || !strcmp(kernel, "copy");
	if (!run_alu && !run_mat && !run_sort && !run_chase && !run_copy) {
		fprintf(stderr, "%s: unknown kernel '%s'\n", argv[0], kernel);
		return 2;
	}
	uint32_t *a = malloc(3 * MAT * MAT * sizeof *a), *keys = malloc(SORT_N * sizeof *keys);
	uint32_t *next = malloc(CHASE_N * sizeof *next);
	unsigned char *from = malloc(COPY_BYTES), *to = malloc(COPY_BYTES);
	if (!a || !keys || !next || !from || !to) {
		perror("malloc");
		return 1;
	}
	uint32_t *b = a + MAT * MAT, *c = b + MAT * MAT;
	for (int i = 0; i < 2 * MAT * MAT; i++)
		a[i] = (uint32_t)next_random();
	/* One cycle through every entry (Sattolo's shuffle). */
	for (uint32_t i = 0; i < CHASE_N; i++)
		next[i] = i;
	for (uint32_t i = CHASE_N - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next_random() % i), t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	memset(from, 0, COPY_BYTES);
	memset(to, 0, COPY_BYTES);

	uint64_t h = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		if (run_alu)
			h = mix(h, alu(h + r));
		if (run_mat) {
			a[r % (MAT * MAT)] += r;
			h = mix(h, matmul(a, b, c));
		}
		if (run_sort)
			h = mix(h, sort(keys));
		if (run_chase)
			h = mix(h, chase(next));
		if (run_copy)
			h = mix(h, copy(from, to, r));
	}
	printf("compute: %s x %lu, checksum %016llx\n", kernel, rounds, (unsigned long long)h);
	free(to);
	free(from);
	free(next);
	free(keys);
	free(a);
	return 0;
}
