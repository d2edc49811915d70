/* Reading code as data, and running it: the two first touches of a page
 * of an executable file mapping. The program maps the page of its own
 * executable that holds triple_plus_one() twice, read + execute, each time
 * a fresh mapping with nothing present:
 *   1. it reads the function's first instruction word, then calls it: the
 *      fault is a read (the call then runs on the present page);
 *   2. it calls the function, then reads it: the fault is an instruction
 *      fetch.
 * A simulator must tell a load from an instruction fetch even where both
 * are allowed. */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* On a page of its own: nothing else runs from it. */
__attribute__((noinline, aligned(65536))) static int triple_plus_one(int x) { return 3 * x + 1; }

/* The file offset of a virtual address of this (static, non-PIE) program,
 * from its program headers. */
static long file_offset(uintptr_t va)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr && va < ph[i].p_vaddr + ph[i].p_filesz)
			return (long)(va - ph[i].p_vaddr + ph[i].p_offset);
	return -1;
}

static int (*map_function(int fd, long off, long page))(int)
{
	uint8_t *m = mmap(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, off & ~(page - 1));
	if (m == MAP_FAILED)
		return NULL;
	return (int (*)(int))(void *)(m + (off & (page - 1)));
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	long off = file_offset((uintptr_t)triple_plus_one);
	int fd = open("/proc/self/exe", O_RDONLY);
	if (off < 0 || fd < 0) {
		printf("cannot find my own code\n");
		return 1;
	}
	uint32_t word;
	int (*f)(int) = map_function(fd, off, page);
	if (!f)
		return 1;
	memcpy(&word, (const void *)f, sizeof word);   /* read first */
	printf("read then call: same code %s, f(13) = %d\n",
	       memcmp(&word, (const void *)triple_plus_one, sizeof word) ? "no" : "yes", f(13));
	f = map_function(fd, off, page);
	if (!f)
		return 1;
	int r = f(14);                                 /* call first */
	memcpy(&word, (const void *)f, sizeof word);
	printf("call then read: same code %s, f(14) = %d\n",
	       memcmp(&word, (const void *)triple_plus_one, sizeof word) ? "no" : "yes", r);
	return 0;
}
