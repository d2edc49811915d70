/* self_modify: code that rewrites itself. A function is written into a
 * read/write/execute page and called; its instructions are then overwritten
 * (the return value changes) and it is called again: the new code must run,
 * not a cached translation of the old. Then the JIT pattern: code written
 * into a read/write page, mprotect'ed to read/execute, called; made
 * writable again, rewritten, made executable, called. And code patched
 * inside the page that holds the caller's loop. Prints each function's
 * result. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn)(void);

/* "return value" as machine code, at p; returns its length. */
static size_t emit_return(uint8_t *p, uint16_t value)
{
#if defined(__x86_64__)
	uint8_t code[] = {0xb8, (uint8_t)value, (uint8_t)(value >> 8), 0, 0, 0xc3};   /* mov $value,%eax; ret */
#elif defined(__aarch64__)
	uint32_t insn[] = {0x52800000u | (uint32_t)value << 5, 0xd65f03c0u};        /* mov w0,#value; ret */
	uint8_t code[sizeof insn];
	memcpy(code, insn, sizeof insn);
#else
#error "x86-64 or AArch64"
#endif
	memcpy(p, code, sizeof code);
	__builtin___clear_cache((char *)p, (char *)p + sizeof code);
	return sizeof code;
}

/* A loop that calls the function at p and rewrites it in place between
 * calls: each call must see the previous iteration's write. */
static void rewrite_between_calls(uint8_t *p)
{
	int sum = 0;
	for (uint16_t v = 1; v <= 5; v++) {
		emit_return(p, v * 100);
		sum += ((fn)(uintptr_t)p)();
	}
	printf("rewritten 5 times in a loop: sum %d\n", sum);
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *rwx = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rwx == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	emit_return(rwx, 1);
	printf("rwx page, first code: %d\n", ((fn)(uintptr_t)rwx)());
	emit_return(rwx, 2);
	printf("rwx page, rewritten: %d\n", ((fn)(uintptr_t)rwx)());
	rewrite_between_calls(rwx);

	uint8_t *jit = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	emit_return(jit, 3);
	mprotect(jit, (size_t)page, PROT_READ | PROT_EXEC);
	printf("jit page, first code: %d\n", ((fn)(uintptr_t)jit)());
	mprotect(jit, (size_t)page, PROT_READ | PROT_WRITE);
	emit_return(jit, 4);
	mprotect(jit, (size_t)page, PROT_READ | PROT_EXEC);
	printf("jit page, rewritten: %d\n", ((fn)(uintptr_t)jit)());
	return 0;
}
