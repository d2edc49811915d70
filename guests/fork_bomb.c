/* fork_bomb: every process forks in a loop, parent and child alike, until
 * fork fails; then it waits for its own children and exits. Unbounded on a
 * machine without a process limit: the kernel's RLIMIT_NPROC (zombies that
 * are not yet waited for count too) is what stops it, with EAGAIN.
 * Prints: a header, then (process 1, once every child is reaped) the error
 * fork failed with. Not run natively by run-native.sh: it would be a real
 * fork bomb there (expected/ follows Linux's answer, EAGAIN). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	printf("fork bomb: every process forks until fork fails\n");
	fflush(stdout);
	pid_t leader = getpid();
	int err;
	for (;;) {
		if (fork() < 0) {
			err = errno;
			break;
		}
	}
	while (wait(NULL) > 0)
		;
	if (getpid() == leader)
		printf("fork failed with %s; every child reaped\n", strerrorname_np(err));
	return 0;
}
