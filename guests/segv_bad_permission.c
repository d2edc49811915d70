/* segv_bad_permission — a write the VMA does not allow: SIGSEGV.
 *
 * Memory behaviour: mmap(2) one anonymous page PROT_READ only and reads
 * it (a read fault that maps the shared zero page, or a zeroed frame,
 * read-only). The write that follows is a permission fault on a VMA
 * without write permission, so the kernel sends SIGSEGV (si_code
 * SEGV_ACCERR) and, with no handler, the process dies.
 *
 * Prints: "read 0", "writing to a read-only page" (flushed before the
 * fault), then dies by SIGSEGV: the shell reports exit status 139. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("read %d\n", p[0]);
	printf("writing to a read-only page\n");
	fflush(stdout); /* the process dies with its stdio buffers */
	p[0] = 'x';
	printf("wrote: not reached\n");
	return 0;
}
