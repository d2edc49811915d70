/* huge_ranges [STEP]: system calls that name huge, almost empty ranges of
 * address space, as a hostile or careless program makes them. Linux's cost
 * for each is in proportion to the pages and page tables that exist, not to
 * the range's length, so each ends at once there:
 *   map      16 TiB PROT_READ MAP_NORESERVE, three pages read far apart, then
 *            left mapped at exit (the exit tears down the whole range)
 *   write    16 TiB read/write MAP_NORESERVE, a page written in every 1 TiB
 *   mprotect 512 GiB PROT_NONE made readable, one page read, made PROT_NONE
 *   madvise  MADV_DONTNEED over a 16 TiB mapping with three pages touched
 *   mremap   a 1 TiB mapping grown to 2 TiB, moved, shrunk
 *   munmap   16 TiB unmapped in one call, then the same range again (empty)
 * With no STEP it does all of them; each prints one line. One more, only
 * when named, is long by design (the guest asks for every page):
 *   populate 64 GiB PROT_READ MAP_POPULATE: 16 M zero-page entries made
 *            (Linux too); prints a line first, for a test to stop it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GiB (1UL << 30)
#define TiB (1UL << 40)

static int step_map(void)
{
	volatile char *p = mmap(NULL, 16 * TiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("map: mmap failed\n"), 1;
	int sum = p[0] + p[8 * TiB] + p[16 * TiB - 1];
	printf("map: 16 TiB mapped, three pages read: %d\n", sum);
	return 0;   /* left mapped: exit unmaps it */
}

static int step_write(void)
{
	char *p = mmap(NULL, 16 * TiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("write: mmap failed\n"), 1;
	long sum = 0;
	for (unsigned long t = 0; t < 16; t++)
		p[t * TiB + t] = (char)t;
	for (unsigned long t = 0; t < 16; t++)
		sum += p[t * TiB + t];
	printf("write: 16 pages written 1 TiB apart, sum %ld\n", sum);
	return 0;
}

static int step_mprotect(void)
{
	volatile char *p = mmap(NULL, 512 * GiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("mprotect: mmap failed\n"), 1;
	if (mprotect((void *)p, 512 * GiB, PROT_READ | PROT_WRITE) != 0)
		return printf("mprotect: to read/write failed\n"), 1;
	p[256 * GiB] = 7;
	int v = p[256 * GiB];
	if (mprotect((void *)p, 512 * GiB, PROT_NONE) != 0)
		return printf("mprotect: to PROT_NONE failed\n"), 1;
	if (mprotect((void *)p, 512 * GiB, PROT_READ) != 0)
		return printf("mprotect: to PROT_READ failed\n"), 1;
	printf("mprotect: 512 GiB three times, the page kept %d\n", p[256 * GiB] + 0 * v);
	return munmap((void *)p, 512 * GiB);
}

static int step_madvise(void)
{
	char *p = mmap(NULL, 16 * TiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("madvise: mmap failed\n"), 1;
	p[0] = 1, p[8 * TiB] = 2, p[16 * TiB - 1] = 3;
	if (madvise(p, 16 * TiB, MADV_DONTNEED) != 0)
		return printf("madvise: failed\n"), 1;
	printf("madvise: 16 TiB dropped, pages read back %d %d %d\n", p[0], p[8 * TiB], p[16 * TiB - 1]);
	return munmap(p, 16 * TiB);
}

static int step_mremap(void)
{
	char *p = mmap(NULL, 1 * TiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("mremap: mmap failed\n"), 1;
	p[0] = 4, p[TiB / 2] = 5;
	char *q = mremap(p, 1 * TiB, 2 * TiB, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return printf("mremap: grow failed\n"), 1;
	q[2 * TiB - 1] = 6;
	char *r = mremap(q, 2 * TiB, 1 * TiB + 4096, 0);
	if (r != q)
		return printf("mremap: shrink failed\n"), 1;
	printf("mremap: 1 TiB grown to 2 TiB and shrunk, pages kept %d %d\n", r[0], r[TiB / 2]);
	return munmap(r, 1 * TiB + 4096);
}

static int step_munmap(void)
{
	char *p = mmap(NULL, 16 * TiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return printf("munmap: mmap failed\n"), 1;
	p[0] = 1, p[16 * TiB - 1] = 2;
	int a = munmap(p, 16 * TiB), b = munmap(p, 16 * TiB);
	printf("munmap: 16 TiB unmapped twice: %d %d\n", a, b);
	return 0;
}

static int step_populate(void)
{
	printf("populate: 64 GiB\n");
	fflush(stdout);
	char *p = mmap(NULL, 64 * GiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_NORESERVE, -1, 0);
	printf("populate: %s\n", p == MAP_FAILED ? "failed" : "done");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "populate") == 0)
		return step_populate();
	static const struct { const char *name; int (*fn)(void); } steps[] = {
		{ "write", step_write }, { "mprotect", step_mprotect }, { "madvise", step_madvise },
		{ "mremap", step_mremap }, { "munmap", step_munmap }, { "map", step_map },
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (argc < 2 || strcmp(argv[1], steps[i].name) == 0)
			rc |= steps[i].fn();
	return rc;
}
