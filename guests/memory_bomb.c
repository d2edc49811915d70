/* memory_bomb: maps anonymous memory 1 MiB at a time and writes every page,
 * without end. Memory and swap run out; the kernel's answer is the OOM
 * killer: SIGKILL (status 137), not a failed mmap (the mappings are lazily
 * backed, overcommitted). Prints a header only. Not run natively by
 * run-native.sh (it would exhaust the host); expected/ is Linux's outcome
 * under the default overcommit policy. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	printf("memory bomb: touching anonymous memory until the kernel stops it\n");
	fflush(stdout);
	long page = sysconf(_SC_PAGESIZE);
	for (;;) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap failed before the memory ran out\n");
			return 1;
		}
		for (long off = 0; off < 1 << 20; off += page)
			p[off] = 1;
	}
}
