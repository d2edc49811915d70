/* segv_bad_address — a fault no VMA covers: SIGSEGV.
 *
 * Memory behaviour: reads address 0x1000, which no mapping covers (it is
 * below every segment of a static program and at or below the lowest
 * address Linux lets user space map, vm.mmap_min_addr). The page fault
 * finds no VMA, so the kernel sends SIGSEGV (si_code SEGV_MAPERR) and,
 * with no handler, the process dies.
 *
 * Prints: "reading 0x1000" (flushed before the fault), then dies by
 * SIGSEGV: the shell reports exit status 139 (128 + 11). */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
	/* volatile: the address comes from memory, so the compiler neither
	 * knows nor warns that it is bogus, and the load must happen. */
	volatile uintptr_t addr = 0x1000;
	printf("reading 0x1000\n");
	fflush(stdout); /* the process dies with its stdio buffers */
	int v = *(volatile int *)addr;
	printf("read %d: not reached\n", v);
	return 0;
}
