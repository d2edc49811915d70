/* file_shared — writing a file through a shared mapping (MAP_SHARED).
 *
 * Memory behaviour: mmap(2) of a file with PROT_READ|PROT_WRITE and
 * MAP_SHARED. The page-cache pages themselves are mapped: the first write
 * to each page is a write fault that maps the cached page writable and
 * marks it dirty (no copy is made). msync(MS_SYNC) writes the dirty pages
 * back to the file, munmap removes the mapping, and read(2) then sees the
 * new bytes. The file is argv[1], default "shared.bin", and is always
 * (re)created with write(2) as 16 KiB of bytes i & 0xff, so every run
 * starts from the same contents.
 *
 * Prints the 32-bit FNV-1a checksum (hex) of the file as created, of the
 * pattern written through the mapping, of the file read back with read(2)
 * after munmap, and "writes reached the file: yes", then exits 0. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (16 * 1024)

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static unsigned char buf[SIZE];

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "shared.bin";

	/* The file as created: bytes i & 0xff. */
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = (unsigned char)(i & 0xff);
	uint32_t created = fnv1a(buf, SIZE);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, SIZE) != SIZE) {
		perror(path);
		return 1;
	}

	unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* One write fault per page, then plain stores into the page cache. */
	for (size_t i = 0; i < SIZE; i++)
		p[i] = (unsigned char)((i * 31 + 7) & 0xff);
	uint32_t pattern = fnv1a(p, SIZE);
	if (msync(p, SIZE, MS_SYNC) != 0 || munmap(p, SIZE) != 0) {
		perror("msync/munmap");
		return 1;
	}

	/* Read the file back through the file descriptor, not the mapping. */
	if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, SIZE) != SIZE) {
		perror("read");
		return 1;
	}
	close(fd);
	uint32_t on_disk = fnv1a(buf, SIZE);

	printf("file as created:  %08x\n", (unsigned)created);
	printf("pattern written:  %08x\n", (unsigned)pattern);
	printf("file read back:   %08x\n", (unsigned)on_disk);
	printf("writes reached the file: %s\n", on_disk == pattern ? "yes" : "NO");
	return on_disk == pattern ? 0 : 1;
}
