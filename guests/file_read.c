/* file_read — reading a file through a private read-only mapping.
 *
 * Memory behaviour: mmap(2) of a file with PROT_READ and MAP_PRIVATE. Each
 * read of a page not yet mapped is a read fault on a file-backed VMA: the
 * kernel finds (or reads in) the page in the page cache and maps it
 * read-only (Linux also maps up to 16 neighbouring cached pages on the
 * same fault: fault-around); no anonymous memory is ever allocated.
 * The file is argv[1], default "data.bin"; if it does not exist it is
 * first created with write(2) as 64 KiB of bytes i & 0xff, so the program
 * is self-contained.
 *
 * Prints: "size <bytes> fnv1a <32-bit FNV-1a of the contents, hex>", then
 * exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_SIZE (64 * 1024)

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

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "data.bin";
	if (create_if_missing(path) != 0) {
		perror(path);
		return 1;
	}
	int fd = open(path, O_RDONLY);
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
	const unsigned char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd); /* the mapping keeps the file referenced */
	printf("size %zu fnv1a %08x\n", size, (unsigned)fnv1a(p, size));
	munmap((void *)p, size);
	return 0;
}
