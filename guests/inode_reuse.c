/* inode_reuse: a file's last name goes, then a new file is made. The host
 * may give the new file the old one's inode number (ext4 does, at once):
 * it must still be a new, empty file, not the old one's cached pages.
 * Three ways for the old file to go: written, synced (its cached pages
 * clean), closed, read again and unlinked; unlinked while open; unlinked
 * while mapped. Each time the new file is created, read (empty), written,
 * read and mapped. Prints what each read and mapping saw. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char old[] = "the old file's contents, which a new file must not show";

static int make_old(void)
{
	int fd = open("old", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || write(fd, old, sizeof old - 1) != (ssize_t)(sizeof old - 1) || fsync(fd))
		exit(1);
	return fd;
}

/* The new file: empty, then holding "new" (read, and through a mapping). */
static void check_new(const char *how)
{
	char buf[128];
	int fd = open("new", O_CREAT | O_RDWR | O_EXCL, 0644);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		exit(1);
	ssize_t n = read(fd, buf, sizeof buf);
	if (write(fd, "new", 3) != 3 || lseek(fd, 0, SEEK_SET))
		exit(1);
	ssize_t m = read(fd, buf, sizeof buf - 1);
	buf[m > 0 ? m : 0] = 0;
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		exit(1);
	printf("%s: new file size %ld, read %zd; written, read %zd \"%s\", mapped \"%.*s\"\n", how, (long)st.st_size, n,
	       m, buf, (int)strnlen(p, 16), p);
	munmap(p, 4096);
	close(fd);
	unlink("new");
}

int main(void)
{
	char buf[128];
	for (int round = 0; round < 3; round++) {
		int fd = make_old();
		close(fd);
		fd = open("old", O_RDONLY);   /* its pages cached, clean */
		if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
			return 1;
		close(fd);
		unlink("old");
		check_new("closed, then unlinked");

		fd = make_old();
		unlink("old");
		close(fd);
		check_new("unlinked while open");

		fd = make_old();
		char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || p[0] != old[0])
			return 1;
		close(fd);
		unlink("old");
		munmap(p, 4096);
		check_new("unlinked while mapped");
	}
	return 0;
}
