/* fork_loop — many short-lived processes, one after another.
 *
 * Memory behaviour: the parent fills a 64 KiB heap buffer, then N times
 * (argument 1, default 100) forks a child that writes one page of the
 * buffer (a COW fault: the page is copied, the parent's stays) and exits
 * with a status derived from what it read; the parent waits for each child
 * and checks the status, so every child's address space is created, used
 * and torn down before the next. The bench uses it with N = 1000 to see
 * that cost grows linearly in the number of processes.
 *
 * Prints "N children, all exited as expected; parent's buffer intact" and
 * exits 0; on a wrong status or a changed buffer says which and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF (64 * 1024)

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	unsigned char *buf = malloc(BUF);
	if (!buf || n < 1)
		return 1;
	for (int i = 0; i < BUF; i++)
		buf[i] = (unsigned char)(i * 7);
	for (long c = 0; c < n; c++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			size_t off = (size_t)(c % (BUF / 4096)) * 4096;
			unsigned char seen = buf[off + 1];
			buf[off + 1] = 0xff;   /* a copy-on-write fault */
			_exit((seen + buf[off + 1]) & 0x7f);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
			printf("child %ld: wait failed\n", c);
			return 1;
		}
		size_t off = (size_t)(c % (BUF / 4096)) * 4096;
		int want = ((unsigned char)((off + 1) * 7) + 0xff) & 0x7f;
		if (WEXITSTATUS(status) != want) {
			printf("child %ld exited %d, not %d\n", c, WEXITSTATUS(status), want);
			return 1;
		}
	}
	for (int i = 0; i < BUF; i++)
		if (buf[i] != (unsigned char)(i * 7)) {
			printf("parent's buffer changed at %d\n", i);
			return 1;
		}
	printf("%ld children, all exited as expected; parent's buffer intact\n", n);
	return 0;
}
