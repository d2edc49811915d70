/* file_private — copy-on-write of a file's pages (MAP_PRIVATE).
 *
 * Memory behaviour: mmap(2) of a file with PROT_READ|PROT_WRITE and
 * MAP_PRIVATE. Reading maps the page-cache pages read-only; the first
 * write to a page is a write fault that copies that one page into a new
 * anonymous frame (copy-on-write) and maps the copy writable. Pages never
 * written stay shared with the page cache. The file itself never changes,
 * which the program proves by reading it back with read(2). The file is
 * argv[1], default "private.bin"; if it does not exist it is first
 * created with write(2) as 16 KiB of bytes i & 0xff.
 *
 * Prints the 32-bit FNV-1a checksum (hex) of the mapping before and after
 * writing, of the file read back with read(2), and "file unchanged: yes",
 * then exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_SIZE (16 * 1024)

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Creates `path` with CREATE_SIZE bytes i & 0xff, unless it exists. */
static int create_if_missing(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	static unsigned char buf[CREATE_SIZE];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i & 0xff);
	ssize_t n = write(fd, buf, sizeof buf);
	if (close(fd) != 0 || n != (ssize_t)sizeof buf)
		return -1;
	return 0;
}

/* Reads the whole of `fd` from offset 0 with pread(2) into a malloc'ed
 * buffer of `size` bytes. */
static unsigned char *read_all(int fd, size_t size)
{
	unsigned char *buf = malloc(size);
	size_t done = 0;
	while (buf != NULL && done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		done += (size_t)n;
	}
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "private.bin";
	if (create_if_missing(path) != 0) {
		perror(path);
		return 1;
	}
	int fd = open(path, O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		return 1;
	}
	size_t size = (size_t)st.st_size;
	if (size == 0) {
		fprintf(stderr, "%s: empty file\n", path);
		return 1;
	}
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	uint32_t before = fnv1a(p, size); /* read faults: page-cache pages, read-only */

	/* Write one byte into every other 4 KiB page: each is a COW fault. */
	for (size_t off = 0; off < size; off += 2 * 4096)
		p[off] = (unsigned char)~p[off];
	uint32_t after = fnv1a(p, size);

	unsigned char *file = read_all(fd, size);
	if (file == NULL) {
		perror("read");
		return 1;
	}
	uint32_t on_disk = fnv1a(file, size);
	free(file);
	munmap(p, size); /* the private copies are discarded */
	close(fd);

	printf("mapping before write: %08x\n", (unsigned)before);
	printf("mapping after write:  %08x\n", (unsigned)after);
	printf("file read back:       %08x\n", (unsigned)on_disk);
	printf("file unchanged: %s\n", on_disk == before && after != before ? "yes" : "NO");
	return on_disk == before ? 0 : 1;
}
