/* hello — the smallest complete program.
 *
 * Memory behaviour: nothing but what every static program does: the
 * kernel maps the ELF segments and the stack, and running the code faults
 * in text, data, bss and stack pages; glibc's startup sets up TLS and the
 * heap (brk), and printf's stdout buffer comes from malloc.
 *
 * Prints: "hello, world", then exits 0. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
