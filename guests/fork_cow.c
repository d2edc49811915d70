/* fork_cow — copy-on-write after fork(2).
 *
 * Memory behaviour: the parent maps one private anonymous page and writes
 * 1 into it (an anonymous write fault). fork() shares every private page
 * between parent and child and write-protects it in both. The child's
 * write of 2 is a write-protection fault that copies the page, since the
 * parent still maps it; the parent, which waits for the child before
 * looking, still reads its own 1.
 *
 * Prints, in this order (the parent waits before printing again):
 *   "parent before fork: 1", "child: 2", "child exited with 0",
 *   "parent after child: 1"; exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	volatile int *v = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	*v = 1;
	printf("parent before fork: %d\n", *v);
	fflush(stdout); /* or the child would inherit, and print again, the buffer */

	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		*v = 2; /* write-protection fault: the child gets its own copy */
		printf("child: %d\n", *v);
		exit(0); /* flushes the child's stdout */
	}

	int status;
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	printf("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("parent after child: %d\n", *v);
	return *v == 1 ? 0 : 1;
}
