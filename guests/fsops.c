/* fsops — the file system calls a shell and its utilities make, in the
 * sandbox: mkdir, chdir/getcwd, open relative to a directory descriptor,
 * O_APPEND, ftruncate, lseek, dup2, fstat/stat, readdir (getdents64),
 * rename, unlink, rmdir, umask.
 *
 * Memory behaviour: nothing special; the file data goes through the page
 * cache (read/write), so the sizes stat reports are the cache's.
 *
 * Prints one line per step (names sorted, no times or inode numbers), then
 * exits 0. Leaves the working directory as it found it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror("opendir");
		exit(1);
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp);
	printf("%s:", dir);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void check(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

int main(void)
{
	umask(027);
	check(mkdir("fsops.d", 0777) == 0, "mkdir");
	struct stat st;
	check(stat("fsops.d", &st) == 0, "stat");
	printf("mkdir: directory %s, mode %o\n", S_ISDIR(st.st_mode) ? "yes" : "no", st.st_mode & 0777);
	int dfd = open("fsops.d", O_RDONLY | O_DIRECTORY);
	check(dfd >= 0, "open dir");
	int fd = openat(dfd, "log", O_WRONLY | O_CREAT | O_APPEND, 0666);
	check(fd >= 0, "openat");
	check(write(fd, "one\n", 4) == 4, "write");
	check(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	check(write(fd, "two\n", 4) == 4, "write append");
	check(fstat(fd, &st) == 0, "fstat");
	printf("append: size %lld, mode %o\n", (long long)st.st_size, st.st_mode & 0777);
	close(fd);
	check(chdir("fsops.d") == 0, "chdir");
	char cwd[256];
	check(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
	printf("cwd ends with: %s\n", strrchr(cwd, '/'));
	fd = open("log", O_RDWR);
	check(fd >= 0, "open log");
	char buf[16] = {0};
	check(read(fd, buf, sizeof buf - 1) == 8, "read");
	printf("read back: %s", buf);
	check(ftruncate(fd, 4) == 0, "ftruncate");
	check(fstat(fd, &st) == 0 && st.st_size == 4, "size after ftruncate");
	fflush(stdout);   /* what is buffered belongs to the real stdout */
	int saved = dup(1);
	check(dup2(fd, 1) == 1, "dup2");
	check(lseek(1, 0, SEEK_END) == 4, "lseek end");
	printf("three\n");
	fflush(stdout);
	check(dup2(saved, 1) == 1, "dup2 back");
	close(saved);
	close(fd);
	check(rename("log", "log.old") == 0, "rename");
	check(mkdir("sub", 0700) == 0, "mkdir sub");
	check(symlink("log.old", "link") == 0, "symlink");
	char target[32] = {0};
	check(readlink("link", target, sizeof target - 1) == 7, "readlink");
	check(lstat("link", &st) == 0 && S_ISLNK(st.st_mode), "lstat");
	printf("link -> %s\n", target);
	list(".");
	fd = open("log.old", O_RDONLY);
	memset(buf, 0, sizeof buf);
	check(fd >= 0 && read(fd, buf, sizeof buf - 1) == 10, "read log.old");
	close(fd);
	printf("log.old: %s", buf);
	printf("stat missing: %s\n", stat("nothing", &st) ? "ENOENT" : "exists");
	check(access("log.old", R_OK) == 0, "access");
	check(unlink("log.old") == 0, "unlink");
	check(unlink("link") == 0, "unlink link");
	check(rmdir("sub") == 0, "rmdir");
	check(chdir("..") == 0, "chdir ..");
	check(rmdir("fsops.d") == 0, "rmdir fsops.d");
	close(dfd);
	list(".");
	return 0;
}
