/* malloc_touch — a large allocation touched one page at a time.
 *
 * Memory behaviour: malloc of N MiB (argv[1], default 4) is above glibc's
 * mmap threshold, so malloc gets it from mmap(2) as one anonymous
 * mapping; nothing is backed yet. Writing one byte every 4096 bytes takes
 * one anonymous write fault per 4 KiB page (fewer on 16 KiB or 64 KiB
 * granules, or with transparent huge pages). The bytes are then read back
 * and summed: reads of present pages take no fault.
 *
 * Prints: "touched <pages> pages of <N> MiB, sum <sum>" where byte k
 * (k = 0, 1, ...) written is (k * 7 + 1) & 0xff, then exits 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long mib = 4;
	if (argc > 1) {
		char *end;
		mib = strtoul(argv[1], &end, 10);
		if (*end != '\0' || mib < 1 || mib > 4096) {
			fprintf(stderr, "usage: %s [MiB, 1..4096]\n", argv[0]);
			return 2;
		}
	}
	size_t size = mib << 20;
	volatile unsigned char *p = malloc(size);
	if (p == NULL) {
		perror("malloc");
		return 1;
	}
	size_t pages = 0;
	for (size_t off = 0; off < size; off += 4096)
		p[off] = (unsigned char)((pages++ * 7 + 1) & 0xff);
	unsigned long long sum = 0;
	for (size_t off = 0; off < size; off += 4096)
		sum += p[off];
	free((void *)p);
	printf("touched %zu pages of %lu MiB, sum %llu\n", pages, mib, sum);
	return 0;
}
