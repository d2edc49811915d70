/* max_maps [N]: makes one-page mappings, each apart from the last (no two
 * merge), until mmap fails, as a runtime with many regions would: Linux
 * allows vm.max_map_count (65,530) and then says ENOMEM. Prints how many
 * mappings the process had then (its own from exec included, read from
 * /proc/self/maps), that a split by munmap or mprotect past the limit is
 * ENOMEM too, and that unmapping one makes room again. With N, it makes
 * N mappings and stops there (to time the cost of many). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	int before = count_maps(), made = 0, stop = argc > 1 ? atoi(argv[1]) : -1;
	char *last = NULL, *first = NULL;
	for (;;) {
		/* Alternate protections: neighbours that touch never merge. */
		char *p = mmap(NULL, (size_t)page * (made ? 1 : 2), made & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		if (!first)
			first = p;
		last = p;
		made++;
		if (made == stop) {
			printf("%d mappings made\n", made);
			return 0;
		}
	}
	int err = errno;
	int total = count_maps();
	/* /proc/self/maps shows x86-64's [vsyscall] too, which is not counted. */
	printf("mmap failed with %s after %s mappings: %s in all\n", strerrorname_np(err),
	       made > 60000 ? "tens of thousands of" : "too few",
	       total >= 65530 && total <= 65532 ? "vm.max_map_count (65,530)" : "NOT vm.max_map_count");
	printf("mappings before: %s\n", before > 0 && before < 20 ? "a few" : "?");
	/* A split makes one more mapping: at the limit, ENOMEM. */
	int rc = mprotect(first, (size_t)page, PROT_NONE);
	printf("mprotect splitting a mapping: %s\n", rc ? strerrorname_np(errno) : "ok");
	rc = munmap(first, (size_t)page);
	printf("munmap splitting a mapping: %s\n", rc ? strerrorname_np(errno) : "ok");
	rc = mprotect(last, (size_t)page, PROT_NONE);
	printf("mprotect of a whole mapping: %s\n", rc ? strerrorname_np(errno) : "ok");
	rc = munmap(last, (size_t)page);
	printf("munmap of a whole mapping: %s\n", rc ? strerrorname_np(errno) : "ok");
	char *p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap after it: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
	return 0;
}
