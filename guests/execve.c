/* execve — replacing the address space.
 *
 * Memory behaviour: execve(2) of the program itself ("/proc/self/exe")
 * throws away the whole address space — every VMA, page table and
 * private page — and builds a new one from the ELF file: text and data
 * segments, bss, brk and a fresh stack holding argv and envp. The second
 * run, told by its argument, faults its pages in afresh.
 *
 * Prints: "first run: exec" (flushed: exec discards stdio buffers), then
 * from the new image "second run: argc 2, argv[1] second"; exits 0. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "second") == 0) {
		printf("second run: argc %d, argv[1] %s\n", argc, argv[1]);
		return 0;
	}
	printf("first run: exec\n");
	fflush(stdout);
	char *args[] = {argv[0], "second", NULL};
	execve("/proc/self/exe", args, environ);
	perror("execve"); /* only reached if execve failed */
	return 1;
}
