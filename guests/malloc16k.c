/* malloc16k — a small heap allocation.
 *
 * Memory behaviour: malloc(16 KiB) is below glibc's mmap threshold
 * (128 KiB), so it is carved out of the brk heap, which glibc's static
 * startup has already grown with brk(2) for its own first malloc.
 * Writing the block's first 8-byte word faults in the heap page it lies
 * on (an anonymous write fault). free() returns the block to the heap;
 * when the free space at the top passes the trim threshold (128 KiB),
 * glibc shrinks the heap with brk again (by one page for the AArch64
 * build under qemu-aarch64; the x86-64 build's heap top lands
 * differently and is not trimmed).
 *
 * Prints: "ok" if the word reads back, then exits 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	uint64_t *p = malloc(16 * 1024);
	if (p == NULL) {
		perror("malloc");
		return 1;
	}
	/* volatile: the compiler may not drop the store, hence not the malloc */
	*(volatile uint64_t *)p = UINT64_C(0x0123456789abcdef);
	int good = *(volatile uint64_t *)p == UINT64_C(0x0123456789abcdef);
	free(p);
	printf("%s\n", good ? "ok" : "bad");
	return good ? 0 : 1;
}
