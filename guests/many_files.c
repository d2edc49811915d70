/* many_files [CYCLES]: opens and closes files one after another, never
 * more than a few at once: 1,500 files made (written, closed), each
 * reopened and read back, then CYCLES (default 20,000) more opens and
 * closes over 100 of them. Every open must succeed, as on Linux: a
 * descriptor closed is free again, whatever the host did with its own.
 * Then RLIMIT_NOFILE: lowered to 40, opens fail with EMFILE at the
 * guest's own limit (descriptors 0..39), and succeed again after a close. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define FILES 1500

static void name_of(char *buf, size_t len, int n)
{
	snprintf(buf, len, "f%04d", n);
}

int main(int argc, char **argv)
{
	long cycles = argc > 1 ? atol(argv[1]) : 20000;
	char name[32], buf[32];
	int bad = 0;
	for (int n = 0; n < FILES; n++) {
		name_of(name, sizeof name, n);
		int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, name, strlen(name)) != (ssize_t)strlen(name) || close(fd)) {
			if (!bad++)
				printf("create %s: %s\n", name, strerrorname_np(errno));
		}
	}
	printf("made %d files, %d failures\n", FILES, bad);
	bad = 0;
	for (int n = 0; n < FILES; n++) {
		name_of(name, sizeof name, n);
		int fd = open(name, O_RDONLY);
		ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof buf);
		if (fd < 0 || r != (ssize_t)strlen(name) || memcmp(buf, name, (size_t)r) || fd != 3) {
			if (!bad++)
				printf("reopen %s: fd %d, %s\n", name, fd, strerrorname_np(errno));
		}
		close(fd);
	}
	printf("read back %d files, %d failures\n", FILES, bad);
	bad = 0;
	for (long c = 0; c < cycles; c++) {
		name_of(name, sizeof name, (int)(c % 100));
		int fd = open(name, c & 1 ? O_RDWR : O_RDONLY);
		if (fd < 0) {
			if (!bad++)
				printf("cycle %ld: %s\n", c, strerrorname_np(errno));
			continue;
		}
		close(fd);
	}
	printf("%ld more opens and closes, %d failures\n", cycles, bad);
	struct rlimit rl = {40, 40};
	if (setrlimit(RLIMIT_NOFILE, &rl))
		printf("setrlimit: %s\n", strerrorname_np(errno));
	int last = -1, fd;
	while ((fd = open("f0000", O_RDONLY)) >= 0)
		last = fd;
	printf("RLIMIT_NOFILE 40: last descriptor %d, then %s\n", last, strerrorname_np(errno));
	close(7);
	fd = open("f0001", O_RDONLY);
	printf("after a close: descriptor %d\n", fd);
	for (int n = 0; n < FILES; n++) {
		name_of(name, sizeof name, n);
		unlink(name);
	}
	return 0;
}
