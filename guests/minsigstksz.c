/* The signal stack size the kernel tells a program (AT_MINSIGSTKSZ, which
 * glibc's sysconf(_SC_MINSIGSTKSZ) and _SC_SIGSTKSZ build on) is enough: a
 * handler runs on an alternate stack of that size (or of the kernel's
 * MINSIGSTKSZ, below which sigaltstack says ENOMEM), the frame within it.
 * The value depends on the CPU (x86-64: its XSAVE size), so the numbers go
 * to standard error and only the verdicts to standard output. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
/* The kernel's MINSIGSTKSZ (uapi asm/signal.h), the least sigaltstack
 * takes; glibc's own MINSIGSTKSZ is sysconf's under _GNU_SOURCE. */
#ifdef __aarch64__
#define KERNEL_MINSIGSTKSZ 5120
#else
#define KERNEL_MINSIGSTKSZ 2048
#endif

static volatile sig_atomic_t ran;
static volatile uintptr_t handler_sp;

static void on_usr1(int sig)
{
	int here;
	(void)sig;
	handler_sp = (uintptr_t)&here;
	ran = 1;
}

/* Runs the handler on an alternate stack of `size` bytes; a heap block
 * with a filled margin either side tells whether the frame stayed inside. */
static int run_on_altstack(size_t size)
{
	size_t guard = 4096;
	unsigned char *block = malloc(size + 2 * guard);
	if (!block)
		return -1;
	memset(block, 0xa5, size + 2 * guard);
	unsigned char *base = block + guard;
	stack_t ss = {.ss_sp = base, .ss_size = size, .ss_flags = 0};
	if (sigaltstack(&ss, NULL))
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return -1;
	raise(SIGUSR1);
	int ok = ran && handler_sp >= (uintptr_t)base && handler_sp < (uintptr_t)base + size;
	for (size_t i = 0; i < guard; i++)   /* nothing written below or above it */
		ok &= block[i] == 0xa5 && block[guard + size + i] == 0xa5;
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	free(block);
	return ok;
}

int main(void)
{
	unsigned long at = getauxval(AT_MINSIGSTKSZ);
	long min = sysconf(_SC_MINSIGSTKSZ), stk = sysconf(_SC_SIGSTKSZ);
	fprintf(stderr, "AT_MINSIGSTKSZ %lu, _SC_MINSIGSTKSZ %ld, _SC_SIGSTKSZ %ld\n", at, min, stk);
	/* without the entry (qemu-user gives none) glibc falls back to its own
	 * constant or, on x86-64, to a size from CPUID */
	printf("_SC_MINSIGSTKSZ is AT_MINSIGSTKSZ when given: %s\n", !at || min == (long)at ? "yes" : "no");
	printf("_SC_MINSIGSTKSZ sane: %s\n", min >= 1024 && min <= 65536 ? "yes" : "no");
	printf("_SC_SIGSTKSZ at least 4 times it: %s\n", stk >= 4 * min ? "yes" : "no");
	/* Linux refuses less than its MINSIGSTKSZ; qemu-user 7.2 takes down to
	 * 2048 bytes on arm64 too, so only that floor is compared */
	stack_t small = {.ss_sp = malloc(KERNEL_MINSIGSTKSZ), .ss_size = 2047};
	printf("sigaltstack refuses 2047 bytes: %s\n", sigaltstack(&small, NULL) == -1 && errno == ENOMEM ? "yes" : "no");
	small.ss_size = KERNEL_MINSIGSTKSZ - 1;
	int r = sigaltstack(&small, NULL);
	fprintf(stderr, "sigaltstack of %d bytes: %s\n", KERNEL_MINSIGSTKSZ - 1, r == -1 && errno == ENOMEM ? "ENOMEM" : "taken");
	free(small.ss_sp);
	int ok = run_on_altstack(min > KERNEL_MINSIGSTKSZ ? (size_t)min : KERNEL_MINSIGSTKSZ);
	printf("a handler runs on an alternate stack of that size: %s\n", ok == 1 ? "yes" : "no");
	return ok == 1 ? 0 : 1;
}
