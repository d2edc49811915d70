/* stdio_flood write|read: the two ways a guest waits on the host. `write`
 * writes 4 KiB blocks to standard output for ever (a reader that stops
 * reading leaves it blocked in a full pipe; a reader that goes away ends it
 * with SIGPIPE, as Linux ends the writer); `read` reads standard input to
 * its end and prints how many bytes came (a writer that keeps the pipe open
 * and sends nothing leaves it blocked). tests/stop_signals.sh stops mmusim
 * in each wait. Not in expected/: it never ends on its own. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	if (argc > 1 && !strcmp(argv[1], "read")) {
		long total = 0;
		ssize_t n;
		while ((n = read(0, buf, sizeof buf)) > 0)
			total += n;
		printf("%ld bytes read\n", total);
		return n < 0;
	}
	memset(buf, 'x', sizeof buf);
	buf[sizeof buf - 1] = '\n';
	for (;;)
		if (write(1, buf, sizeof buf) < 0) {
			perror("write");
			return 1;
		}
}
