/* mmap_write — the classic first page fault.
 *
 * Memory behaviour: mmap(2) one anonymous private read/write page. The
 * mapping only creates a VMA; no page-table entry exists yet. The first
 * write to the page takes a not-present fault, and the kernel allocates a
 * zeroed frame and maps it writable (an anonymous write fault).
 *
 * Prints: "A" (the byte written, read back), then exits 0. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	p[0] = 'A'; /* the first touch: a write fault on a not-present page */
	printf("%c\n", *(volatile char *)p);
	return 0;
}
