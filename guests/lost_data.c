/* lost_data [fill]: a write the file system cannot take is an error, never
 * a success whose data vanishes.
 * First RLIMIT_FSIZE, the guest's own (as Linux, native-comparable): a
 * write crossing it is cut short, one at or past it fails with EFBIG and
 * SIGXFSZ (caught here).
 * With "fill": writes 4 KiB blocks to "fill" until a write fails (the
 * test runs mmusim with a small host RLIMIT_FSIZE: the host disk "full"
 * for this file), then fsync; prints the bytes written and the errors.
 * tests/hostile_host.sh checks that the host file holds exactly those. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t xfsz;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz++;
}

static void show(const char *what, ssize_t n)
{
	if (n < 0)
		printf("%s: %s (SIGXFSZ %d)\n", what, strerrorname_np(errno), (int)xfsz);
	else
		printf("%s: %zd (SIGXFSZ %d)\n", what, n, (int)xfsz);
}

int main(int argc, char **argv)
{
	static char buf[8192];
	memset(buf, 'x', sizeof buf);
	if (argc > 1 && !strcmp(argv[1], "fill")) {
		int fd = open("fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		long total = 0;
		ssize_t n;
		for (int i = 0; i < 4096; i++) {
			memset(buf, 'a' + i % 26, 4096);
			if ((n = write(fd, buf, 4096)) != 4096)
				break;
			total += n;
		}
		printf("fill: %ld bytes written, then %s\n", total, n < 0 ? strerrorname_np(errno) : "a short write");
		printf("fsync: %s\n", fsync(fd) ? strerrorname_np(errno) : "ok");
		return close(fd) ? 1 : 0;
	}
	signal(SIGXFSZ, on_xfsz);
	struct rlimit rl = {10000, RLIM_INFINITY};
	setrlimit(RLIMIT_FSIZE, &rl);
	int fd = open("limited", O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("write 8192 at 0", write(fd, buf, 8192));
	show("write 8192 at 8192", write(fd, buf, 8192));
	show("write 8192 at 10000", write(fd, buf, 8192));
	show("pwrite 1 at 20000", pwrite(fd, buf, 1, 20000));
	show("pwrite 0 at 20000", pwrite(fd, buf, 0, 20000));
	struct stat st;
	fstat(fd, &st);
	printf("size %ld\n", (long)st.st_size);
	fsync(fd);
	close(fd);
	unlink("limited");
	return 0;
}
