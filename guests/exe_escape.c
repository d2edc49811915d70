/* exe_escape: tries to read a host file through /proc/self/exe. It copies
 * itself into its root, execs the copy, replaces the copy with a symbolic
 * link to a file outside (/etc/passwd on the host), then opens
 * /proc/self/exe and /proc/PID/exe and execs /proc/self/exe. As on Linux,
 * each must still reach the program that runs (the copy, removed: its
 * descriptor was held since exec), never what the name now points to.
 * Prints one line per attempt. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_self(const char *to)
{
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out);
}

/* What an open of `path` reads: the program (an ELF file) or something else. */
static void try_read(const char *what, const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n >= 4 && !memcmp(buf, "\177ELF", 4)) {
		printf("%s: the program itself\n", what);
		return;
	}
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: ESCAPED, read \"%s\"\n", what, buf);
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		unlink("exe_copy");
		if (copy_self("exe_copy")) {
			perror("copy");
			return 1;
		}
		execl("exe_copy", "exe_copy", "2", (char *)NULL);
		perror("exec exe_copy");
		return 1;
	}
	if (!strcmp(argv[1], "2")) {
		printf("running the copy\n");
		unlink("exe_copy");
		if (symlink("/etc/passwd", "exe_copy")) {
			perror("symlink");
			return 1;
		}
		try_read("open /proc/self/exe", "/proc/self/exe");
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/exe", getpid());
		try_read("open /proc/PID/exe", path);
		fflush(stdout);
		execl("/proc/self/exe", "exe_copy", "3", (char *)NULL);
		printf("exec /proc/self/exe: %s\n", strerrorname_np(errno));
		unlink("exe_copy");
		return 1;
	}
	printf("exec /proc/self/exe: ran the program\n");
	try_read("open /proc/self/exe again", "/proc/self/exe");
	unlink("exe_copy");
	return 0;
}
