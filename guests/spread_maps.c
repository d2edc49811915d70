/* spread_maps [N]: N one-page mappings 32 MiB apart (too far apart for
 * cpu/ to cover with a few regions: more than Unicorn could hold at once),
 * each written when made, then all read back twice in address order, as a
 * runtime that scatters its regions would. Prints how many were made and
 * whether every page kept its value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SPREAD (32ul << 20)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1200, made = 0;
	char *base = (char *)0x100000000000ull;
	for (long i = 0; i < n; i++) {
		char *p = mmap(base + (size_t)i * SPREAD, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			break;
		p[0] = (char)(i % 127 + 1);
		made++;
	}
	long bad = 0;
	for (int pass = 0; pass < 2; pass++)
		for (long i = 0; i < made; i++)
			bad += base[(size_t)i * SPREAD] != (char)(i % 127 + 1);
	printf("%ld mappings %ld MiB apart made, %ld pages wrong\n", made, (long)(SPREAD >> 20), bad);
	return bad != 0;
}
