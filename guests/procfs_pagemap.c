/* procfs_pagemap — a program that looks at its own memory through /proc,
 * as people study page placement on a real system.
 *
 * Memory behaviour: an anonymous private mapping of 8 pages, each written
 * once (one anonymous write fault a page, a frame of its own); then
 * /proc/self/pagemap is read for those pages (8 bytes a page at offset
 * va / pagesize * 8): present, exclusively mapped, anonymous, and the
 * frame number. Then /proc/self/maps must list the mapping and
 * /proc/self/smaps_rollup's Anonymous must cover it.
 *
 * Prints one line a page, "page <i> va 0x<va> pfn 0x<pfn> flags <p><x><f>"
 * (p: present, x: exclusively mapped, f: a file page or shared), then
 * "maps lists it: yes" and "rollup anonymous covers it: yes", then
 * "reading /proc faulted: 0" — all of smaps and statm, and the pagemap of
 * a megabyte, read into a buffer already touched, take no page fault (as
 * on Linux: the kernel looks at the tables, it does not touch the pages),
 * and exits 0.
 * The frame numbers differ between machines: tests/procfs.sh compares them
 * with what `mmusim run --faults` says each fault mapped. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define PAGES 8

static int maps_lists(uintptr_t start)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	while (f && fgets(line, sizeof line, f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 && lo <= start && start < hi)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static long rollup_anon_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static char buf[1 << 20];

/* Faults (minor and major) that reading /proc costs this process. */
static long faults_reading_proc(uintptr_t va)
{
	memset(buf, 1, sizeof buf);
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	const char *files[] = {"/proc/self/smaps", "/proc/self/statm", "/proc/self/status"};
	for (int i = 0; i < 3; i++) {
		int fd = open(files[i], O_RDONLY);
		while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
			;
		close(fd);
	}
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd >= 0 && pread(fd, buf, 2048, (off_t)(va / 4096 * 8)) != 2048)
		return -1;
	close(fd);
	getrusage(RUSAGE_SELF, &b);
	return (b.ru_minflt - a.ru_minflt) + (b.ru_majflt - a.ru_majflt);
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *m = mmap(NULL, (size_t)page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	for (int i = 0; i < PAGES; i++)
		m[(long)i * page] = (char)(i + 1);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		printf("cannot open /proc/self/pagemap\n");
		return 1;
	}
	uint64_t e[PAGES];
	uintptr_t first = (uintptr_t)m / (uintptr_t)page;
	if (pread(fd, e, sizeof e, (off_t)(first * 8)) != (ssize_t)sizeof e) {
		printf("short read of pagemap\n");
		return 1;
	}
	close(fd);
	for (int i = 0; i < PAGES; i++)
		printf("page %d va 0x%" PRIxPTR " pfn 0x%" PRIx64 " flags %c%c%c\n", i, (uintptr_t)m + (uintptr_t)i * page,
		       (uint64_t)(e[i] & ((UINT64_C(1) << 55) - 1)), e[i] >> 63 ? 'p' : '-', (e[i] >> 56) & 1 ? 'x' : '-',
		       (e[i] >> 61) & 1 ? 'f' : '-');
	printf("maps lists it: %s\n", maps_lists((uintptr_t)m) ? "yes" : "no");
	printf("rollup anonymous covers it: %s\n", rollup_anon_kb() * 1024 >= page * PAGES ? "yes" : "no");
	printf("reading /proc faulted: %ld\n", faults_reading_proc((uintptr_t)m));
	return 0;
}
