#include "tests/fuzz/fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd_named(const char *name, int *fd, char *path, size_t len)
{
	if (*fd < 0) {
		*fd = memfd_create(name, 0);
		if (*fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, len, "/proc/self/fd/%d", *fd);
	}
	if (ftruncate(*fd, 0)) {
		perror("ftruncate");
		abort();
	}
	return *fd;
}

const char *fuzz_input_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	memfd_named("fuzz-input", &fd, path, sizeof path);
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0) {
			perror("pwrite");
			abort();
		}
		done += (size_t)n;
	}
	return path;
}

const char *fuzz_input_string(const uint8_t *data, size_t size)
{
	static char *s;
	free(s);
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

const char *fuzz_output_path(void)
{
	static int fd = -1;
	static char path[64];
	memfd_named("fuzz-output", &fd, path, sizeof path);
	return path;
}
