/* mremap: a mapping grown in place where the addresses after it are free,
 * refused (ENOMEM) where they are not and it may not move, moved with
 * MREMAP_MAYMOVE (its pages come along: no fault touching them again),
 * shrunk, moved to a given place (MREMAP_FIXED), moved leaving the old
 * range mapped and empty (MREMAP_DONTUNMAP), Linux's errors; then a buffer
 * grown by realloc past glibc's mmap threshold, as Lua and sqlite grow
 * theirs. Prints what it checked: no addresses. (Errors on which Linux 6.1
 * and later kernels differ — an unaligned address, a length past the
 * mapping — are left out: the model is 6.1, a native run may be newer.) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static long P;

static const char *res(void *r)
{
	if (r != MAP_FAILED)
		return "ok";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	default: return strerror(errno);
	}
}

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void fill(char *p, long pages, int seed)
{
	for (long i = 0; i < pages; i++)
		memset(p + i * P, seed + (int)i, (size_t)P);
}

static int intact(const char *p, long pages, int seed)
{
	for (long i = 0; i < pages; i++)
		for (long j = 0; j < P; j += 512)
			if (p[i * P + j] != (char)(seed + i))
				return 0;
	return 1;
}

static int mapped(void *p)
{
	return msync(p, (size_t)P, MS_ASYNC) == 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	P = sysconf(_SC_PAGESIZE);
	char *a = mmap(NULL, (size_t)(16 * P), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a + 4 * P, (size_t)(12 * P));
	char *guard = mmap(a + 5 * P, (size_t)P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	fill(a, 4, 1);
	char *r = mremap(a, (size_t)(4 * P), (size_t)(8 * P), 0);
	printf("grow without room, not movable: %s\n", res(r));
	r = mremap(a, (size_t)(4 * P), (size_t)(5 * P), 0);
	printf("grow into the free page after it: %s, in place: %s, intact: %d\n", res(r), r == a ? "yes" : "no",
	       intact(a, 4, 1));
	memset(a + 4 * P, 5, (size_t)P);
	long before = minflt();
	char *b = mremap(a, (size_t)(5 * P), (size_t)(8 * P), MREMAP_MAYMOVE);
	int ok = b != MAP_FAILED && intact(b, 5, 1);
	long faults = minflt() - before;
	printf("grow with MREMAP_MAYMOVE: %s, moved: %s, intact: %d, faults reading it: %ld, old place mapped: %d\n",
	       res(b), b != a ? "yes" : "no", ok, faults, mapped(a));
	b[7 * P] = 1;   /* the grown part is fresh memory */
	printf("the new part reads zero: %d\n", b[6 * P] == 0);
	munmap(guard, (size_t)P);

	r = mremap(b, (size_t)(8 * P), (size_t)(2 * P), 0);
	printf("shrink: %s, in place: %s, tail mapped: %d, intact: %d\n", res(r), r == b ? "yes" : "no",
	       mapped(b + 2 * P), intact(b, 2, 1));

	char *c = mmap(NULL, (size_t)(4 * P), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill(c, 4, 40);
	r = mremap(b, (size_t)(2 * P), (size_t)(2 * P), MREMAP_MAYMOVE | MREMAP_FIXED, c + P);
	printf("MREMAP_FIXED into another mapping: %s, there: %s, intact: %d, around it: %d %d, old mapped: %d\n",
	       res(r), r == c + P ? "yes" : "no", intact(c + P, 2, 1), c[0] == 40, c[3 * P] == 43, mapped(b));

	char *e = mmap(NULL, (size_t)(2 * P), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill(e, 2, 60);
	char *d = mremap(e, (size_t)(2 * P), (size_t)(2 * P), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	printf("MREMAP_DONTUNMAP: %s, moved: %s, intact: %d, old still mapped: %d, reads zero: %d\n", res(d),
	       d != e ? "yes" : "no", d != MAP_FAILED && intact(d, 2, 60), mapped(e), e[P] == 0);
	printf("errors: flags 8: %s\n", res(mremap(d, (size_t)P, (size_t)P, 8)));
	printf("errors: FIXED without MAYMOVE: %s\n", res(mremap(d, (size_t)P, (size_t)P, MREMAP_FIXED, c)));
	printf("errors: new length 0: %s\n", res(mremap(d, (size_t)P, 0, MREMAP_MAYMOVE)));
	printf("errors: nothing mapped: %s\n", res(mremap((void *)0x10000, (size_t)P, (size_t)(2 * P), MREMAP_MAYMOVE)));
	printf("errors: FIXED overlapping: %s\n",
	       res(mremap(d, (size_t)(2 * P), (size_t)(2 * P), MREMAP_MAYMOVE | MREMAP_FIXED, d + P)));
	printf("errors: DONTUNMAP resizing: %s\n",
	       res(mremap(d, (size_t)P, (size_t)(2 * P), MREMAP_MAYMOVE | MREMAP_DONTUNMAP)));

	/* realloc of an mmap'ed chunk: glibc calls mremap. */
	size_t n = 256 << 10;
	unsigned char *buf = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	for (int round = 0; round < 6; round++) {
		size_t m = n * 2;
		buf = realloc(buf, m);
		for (size_t i = n; i < m; i++)
			buf[i] = (unsigned char)(i * 7);
		n = m;
	}
	unsigned sum = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		sum = sum * 31 + buf[i];
		bad += buf[i] != (unsigned char)(i * 7);
	}
	printf("realloc to %zu KiB: checksum %08x, wrong bytes %u\n", n >> 10, sum, bad);
	free(buf);
	return 0;
}
