/* shared_loop [ROUNDS]: writes a file through a shared mapping, round after
 * round, and never calls msync or munmap: what reaches the file is what
 * the kernel writes back on its own (at exit, or when mmusim is stopped by
 * SIGINT/SIGTERM). The file, shared_loop.bin, is four pages; round r writes
 * the 64-bit number r at the start of each page, first to last. ROUNDS is
 * 1000 by default; 0 loops until killed, printing "round N" (flushed) every
 * 100000 rounds. Prints "ROUNDS rounds written through the mapping" at the
 * end; the file then holds ROUNDS in each page. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("shared_loop.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4 * page)) {
		perror("shared_loop.bin");
		return 1;
	}
	char *m = mmap(NULL, 4 * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);
	for (uint64_t r = 1; rounds == 0 || r <= (uint64_t)rounds; r++) {
		for (int i = 0; i < 4; i++)
			*(volatile uint64_t *)(m + i * page) = r;
		if (rounds == 0 && r % 100000 == 0) {
			printf("round %llu\n", (unsigned long long)r);
			fflush(stdout);
		}
	}
	printf("%ld rounds written through the mapping\n", rounds);
	return 0;
}
