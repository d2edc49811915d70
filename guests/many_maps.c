/* Many separate mappings, as a dynamically linked program with many
 * libraries makes (issue 17): 3,000 one-page anonymous mappings, each
 * followed by a page-sized hole, alternating between data and executable
 * code so that no two can merge. Each is written (the data) or called (a
 * one-instruction function), then all are unmapped. Linux allows 65,530
 * (vm.max_map_count). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 3000

static char *map[N];

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, (size_t)page * 2 * N, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 1;
	munmap(base, (size_t)page * 2 * N);   /* a free range: holes between the maps */
	for (int i = 0; i < N; i++) {
		int prot = PROT_READ | PROT_WRITE | (i % 2 ? PROT_EXEC : 0);
		map[i] = mmap(base + (size_t)page * 2 * i, (size_t)page, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (map[i] == MAP_FAILED) {
			printf("mmap %d failed\n", i);
			return 1;
		}
	}
#if defined(__x86_64__)
	static const uint8_t ret[] = {0xb8, 7, 0, 0, 0, 0xc3};   /* mov eax, 7; ret */
#else
	static const uint8_t ret[] = {0xe0, 0x00, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6};   /* mov w0, 7; ret */
#endif
	long sum = 0;
	for (int i = 0; i < N; i++) {
		if (i % 2) {
			memcpy(map[i], ret, sizeof ret);
			__builtin___clear_cache(map[i], map[i] + sizeof ret);
			sum += ((int (*)(void))(void *)map[i])();
		} else {
			map[i][0] = 1;
			sum += map[i][0];
		}
	}
	for (int i = 0; i < N; i++)
		munmap(map[i], (size_t)page);
	printf("%d mappings, sum %ld\n", N, sum);
	return 0;
}
