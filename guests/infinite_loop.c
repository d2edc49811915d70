/* infinite_loop: never ends on its own. It asks for a CPU-time limit of one
 * second (RLIMIT_CPU, hard limit two: at the hard limit Linux sends
 * SIGKILL), which Linux enforces with SIGXCPU (status 152); under
 * mmusim the instruction budget, --max-insns, ends it with the same status.
 * Prints a header only. */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit one_second = {1, 2};
	setrlimit(RLIMIT_CPU, &one_second);
	printf("infinite loop: spinning until stopped\n");
	fflush(stdout);
	for (volatile unsigned long i = 0;; i++)
		;
}
