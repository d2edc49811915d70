/* pipe — a pipe between parent and child.
 *
 * Memory behaviour: fork(2) makes the child's address space a
 * copy-on-write copy of the parent's. The child writes a message from its
 * read-only data into the pipe, so the kernel copies bytes out of the
 * child's memory through the child's page tables; the parent's read(2)
 * copies them into its stack buffer, faulting the page in if needed
 * (a fault taken by the kernel on the user's behalf). The parent prints
 * the message, then waits for the child.
 *
 * Prints: "parent read: hello through the pipe", "child exited with 0";
 * exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char message[] = "hello through the pipe";

int main(void)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		ssize_t n = write(fds[1], message, strlen(message));
		close(fds[1]);
		_exit(n == (ssize_t)strlen(message) ? 0 : 1);
	}

	close(fds[1]);
	char buf[128];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n; /* until end of file: the child closed its end */
	close(fds[0]);
	buf[len] = '\0';
	printf("parent read: %s\n", buf);

	int status;
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	printf("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
