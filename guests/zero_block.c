/* Zeroing a whole cache block in one instruction: AArch64 `dc zva` (the
 * block DCZID_EL0 names; glibc's memset and calloc use it), x86-64 `rep
 * stosb` over 64 aligned bytes. The block holding the address is zeroed and
 * nothing around it; a fresh page is filled, a shared copy-on-write page is
 * copied; a read-only or unmapped block faults with SIGSEGV at an address
 * inside the block, and writes nothing. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	siglongjmp(back, 1);
}

static size_t block_size(void)
{
#if defined(__aarch64__)
	uint64_t dczid;
	__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
	return (size_t)4 << (dczid & 15);
#else
	return 64;
#endif
}

static void zero_block(unsigned char *p)
{
#if defined(__aarch64__)
	__asm__ volatile("dc zva, %0" : : "r"(p) : "memory");
#else
	unsigned char *b = (unsigned char *)((uintptr_t)p & ~(uintptr_t)63);
	size_t n = 64;
	__asm__ volatile("rep stosb" : "+D"(b), "+c"(n) : "a"(0) : "memory");
#endif
}

/* Only p's block is zero, every other byte of [m, m + len) is `fill`. */
static int only_block_zero(const unsigned char *m, size_t len, const unsigned char *p, unsigned char fill)
{
	size_t bs = block_size(), lo = (size_t)(p - m) & ~(bs - 1);
	for (size_t i = 0; i < len; i++)
		if (m[i] != (i >= lo && i < lo + bs ? 0 : fill))
			return 0;
	return 1;
}

static void expect_fault(const char *what, unsigned char *m, size_t len, unsigned char *p, unsigned char fill)
{
	size_t bs = block_size();
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(bs - 1);
	if (!sigsetjmp(back, 1)) {
		zero_block(p);
		printf("%s: no fault\n", what);
		return;
	}
	uintptr_t a = (uintptr_t)fault_addr;
	printf("%s: SIGSEGV %s the block", what, a >= lo && a < lo + bs ? "inside" : "outside");
	if (m) {
		size_t i = 0;
		while (i < len && m[i] == fill)
			i++;
		printf(", %s", i == len ? "nothing written" : "written");
	}
	printf("\n");
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = 4 * pg;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	zero_block(m + pg + 0x47);   /* a page never touched: zero-filled */
	size_t nz = 0;
	for (size_t i = 0; i < len; i++)
		nz += m[i] != 0;
	printf("fresh page: %zu nonzero bytes\n", nz);

	memset(m, 0xab, len);
	zero_block(m + 0x400 + 5);
	printf("block at 1 KiB: %s\n", only_block_zero(m, len, m + 0x400 + 5, 0xab) ? "only it zeroed" : "wrong");
	memset(m, 0xab, len);
	zero_block(m + pg - 1);
	printf("last block of a page: %s\n", only_block_zero(m, len, m + pg - 1, 0xab) ? "only it zeroed" : "wrong");

	memset(m, 0xcd, len);
	fflush(stdout);   /* the child would print what is buffered again */
	pid_t pid = fork();
	if (pid == 0) {
		zero_block(m + 2 * pg + 0x80);
		printf("child after fork: %s\n", only_block_zero(m, len, m + 2 * pg + 0x80, 0xcd) ? "only its block zeroed" : "wrong");
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	nz = 0;
	for (size_t i = 0; i < len; i++)
		nz += m[i] != 0xcd;
	printf("parent after the child's: %zu bytes changed\n", nz);

	mprotect(m + 2 * pg, pg, PROT_READ);
	expect_fault("read-only page", m, len, m + 2 * pg + 0x123, 0xcd);
	munmap(m + 3 * pg, pg);
	expect_fault("unmapped page", NULL, 0, m + 3 * pg + 0x7f, 0);
	return 0;
}
