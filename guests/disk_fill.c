/* disk_fill: a write loop that would fill the host disk (issue 21). Run
 * under `mmusim run --disk-limit SIZE`:
 *   fill      1,000,000-byte writes to "fill" until one is cut short and
 *             the next fails (ENOSPC, as a full file system says), then
 *             fsync; prints the bytes written and the short count; then
 *             mkdir and creat of a new name fail with ENOSPC too;
 *   truncate  ftruncate to half: the freed blocks are credited back, so a
 *             write of 1,000,000 bytes at the end succeeds whole;
 *   unlink    unlink "fill": a new file takes as much again.
 * disk_fill loop: only the loop, the same buffer written again and again
 * until a write fails (a hostile guest's; run under --max-insns).
 * The test (tests/disk_limit.sh) checks the figures against the limit and
 * that the host file holds exactly what the guest was told was written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 1000000

static char buf[CHUNK];

/* Writes until a write fails: the total, the last short count (0: none),
 * and the error that stopped it. */
static long fill(int fd, long *short_count, int *err)
{
	long total = 0;
	*short_count = 0;
	*err = 0;
	for (int i = 0; i < 100000; i++) {
		memset(buf, 'a' + i % 26, CHUNK);
		ssize_t n = write(fd, buf, CHUNK);
		if (n < 0) {
			*err = errno;
			break;
		}
		total += n;
		if (n < CHUNK)
			*short_count = n;
	}
	return total;
}

int main(int argc, char **argv)
{
	long shrt;
	int err;
	int fd = open("fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return perror("open"), 1;
	if (argc > 1 && !strcmp(argv[1], "loop")) {
		long total = 0;
		ssize_t n;
		while ((n = write(fd, buf, CHUNK)) > 0)
			total += n;
		printf("loop: %ld bytes written, then %s\n", total, n < 0 ? strerrorname_np(errno) : "0");
		return 0;
	}
	long total = fill(fd, &shrt, &err);
	printf("fill: %ld bytes written, the last write cut to %ld, then %s\n", total, shrt,
	       err ? strerrorname_np(err) : "no error");
	printf("fsync: %s\n", fsync(fd) ? strerrorname_np(errno) : "ok");
	/* Full: a new directory or file needs room it cannot have. */
	int md = mkdir("dir", 0755), nf = open("new", O_WRONLY | O_CREAT, 0644);
	printf("full: mkdir %s, creat %s\n", md ? strerrorname_np(errno) : "ok", nf < 0 ? strerrorname_np(errno) : "ok");
	if (ftruncate(fd, total / 2))
		return perror("ftruncate"), 1;
	ssize_t n = pwrite(fd, buf, CHUNK, total / 2);
	printf("truncate: a write after it: %zd\n", n < 0 ? -(ssize_t)errno : n);
	close(fd);
	if (unlink("fill"))
		return perror("unlink"), 1;
	fd = open("again", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long again = fill(fd, &shrt, &err);
	printf("unlink: a new file took %ld bytes, then %s\n", again, err ? strerrorname_np(err) : "no error");
	close(fd);
	return 0;
}
