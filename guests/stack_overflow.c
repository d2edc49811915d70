/* stack_overflow: unbounded recursion, each frame 1 KiB. The stack VMA
 * grows page by page up to RLIMIT_STACK (8 MiB); the next page is refused
 * and the process dies of SIGSEGV (status 139). Prints a header only. */
#include <stdio.h>

static volatile int forever = 1;   /* the compiler cannot see the recursion never ends */

static int depth(volatile char *prev)
{
	volatile char frame[1024];
	frame[0] = prev ? prev[0] + 1 : 0;
	if (!forever)
		return frame[0];
	return depth(frame) + frame[1023];
}

int main(void)
{
	printf("stack overflow: recursing without end\n");
	fflush(stdout);
	return depth(NULL);
}
