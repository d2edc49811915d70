/* straddle_store: an 8-byte store that straddles two pages and faults on
 * the second (PROT_NONE) writes nothing, as the hardware does: the
 * SIGSEGV handler still sees the old bytes at the end of the first page.
 * The handler then makes the second page writable and returns: the store
 * runs again, whole. Both as an x86-64 mov and an AArch64 unaligned str. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *base;
static long page;
static volatile int faults;
static char seen[4];

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	faults++;
	memcpy(seen, base + page - 4, 4);
	printf("fault at page offset %+ld; the first page's last bytes: %s\n", (long)((char *)si->si_addr - (base + page)),
	       !memcmp(seen, "\x11\x11\x11\x11", 4) ? "old, untouched" : "CHANGED by the faulting store");
	mprotect(base + page, (size_t)page, PROT_READ | PROT_WRITE);
}

static void store8(char *at, uint64_t v)
{
#if defined(__x86_64__)
	__asm__ volatile("movq %1, (%0)" : : "r"(at), "r"(v) : "memory");
#elif defined(__aarch64__)
	__asm__ volatile("str %1, [%0]" : : "r"(at), "r"(v) : "memory");
#else
#error "x86-64 or AArch64"
#endif
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	base = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 1;
	memset(base, 0x11, (size_t)page * 2);
	mprotect(base + page, (size_t)page, PROT_NONE);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	sigaction(SIGSEGV, &sa, NULL);
	store8(base + page - 4, 0x2222222222222222ull);
	uint64_t got;
	memcpy(&got, base + page - 4, 8);
	printf("%d fault(s); after the retry the store is %s\n", faults,
	       got == 0x2222222222222222ull ? "whole" : "NOT whole");
	return 0;
}
