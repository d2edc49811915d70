/* Privileged instructions from user code, each three times (a second and
 * third fault must be answered as the first): Linux answers x86-64's #GP
 * with SIGSEGV (si_code SI_KERNEL, no address) and AArch64's undefined
 * instruction with SIGILL, the program counter at the instruction. Integer
 * division by zero is SIGFPE on x86-64 and 0 on AArch64. The user-level
 * controls Linux grants still work: the time-stamp counter and CPUID, the
 * virtual counter, CTR_EL0, DC ZVA, cache maintenance to the point of
 * unification and the ID registers (emulated by Linux). */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int got_signo, got_code;
static volatile uintptr_t got_pc, got_addr;

static void on_signal(int signo, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	got_signo = signo;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
#ifdef __x86_64__
	got_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
	got_pc = (uintptr_t)uc->uc_mcontext.pc;
#endif
	siglongjmp(back, 1);
}

#ifdef __x86_64__
#define INSN(name, text) \
	__attribute__((noinline)) static void name(void) { __asm__ volatile(".globl " #name "_at\n" #name "_at: " text ::: "memory", "rax"); }
INSN(priv_write, "mov %%rax, %%dr7")
INSN(priv_read, "mov %%cr0, %%rax")
INSN(irq_off, "cli")
INSN(gate, "int $0x30")
INSN(port_in, "inb $0x60, %%al")
INSN(halt, "hlt")
#else
#define INSN(name, text) \
	__attribute__((noinline)) static void name(void) { __asm__ volatile(".globl " #name "_at\n" #name "_at: " text ::: "memory", "x0"); }
INSN(priv_write, "msr dbgbcr0_el1, x0")
INSN(priv_read, "mrs x0, sctlr_el1")
INSN(irq_off, "msr daifset, #2")
INSN(gate, "hvc #0")
INSN(port_in, "mrs x0, currentel")
INSN(halt, "msr ttbr0_el1, xzr")
#endif
extern char priv_write_at[], priv_read_at[], irq_off_at[], gate_at[], port_in_at[], halt_at[];

/* Runs fn three times; each must be refused as Linux refuses it. */
static void refused(const char *what, void (*fn)(void), const char *at)
{
	volatile int ok = 0;
	for (volatile int i = 0; i < 3; i++) {
		got_signo = 0;
		if (!sigsetjmp(back, 1))
			fn();
#ifdef __x86_64__
		int good = got_signo == SIGSEGV && got_code == SI_KERNEL && got_addr == 0;
#else
		int good = got_signo == SIGILL && got_addr == (uintptr_t)at;
#endif
		if (good && got_pc == (uintptr_t)at)
			ok++;
		else
			printf("  %s, try %d: signal %d code %d addr %#lx pc %#lx (instruction at %p)\n", what, i + 1,
			       got_signo, got_code, (unsigned long)got_addr, (unsigned long)got_pc, (const void *)at);
	}
	printf("%s: refused %d of 3 times at the instruction\n", what, ok);
}

static void divide_by_zero(void)
{
	volatile long zero = 0, n = 7;
	volatile int ok = 0;
	for (volatile int i = 0; i < 3; i++) {
		got_signo = 0;
		volatile long q = -1;
		if (!sigsetjmp(back, 1))
			q = n / zero;
#ifdef __x86_64__
		ok += got_signo == SIGFPE && got_code == FPE_INTDIV;
		(void)q;
#else
		ok += got_signo == 0 && q == 0;
#endif
	}
	printf("division by zero: as the architecture does it %d of 3 times\n", ok);
}

static void user_level(void)
{
	static char line[256] __attribute__((aligned(256)));
	memset(line, 0x5a, sizeof line);
	got_signo = 0;
	int ok = 0;
	if (!sigsetjmp(back, 1)) {
#ifdef __x86_64__
		uint32_t lo, hi, a = 0, b, c = 0, d;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		ok = a > 0 && got_signo == 0;
		(void)lo, (void)hi;
#else
		uint64_t ctr, cnt, midr, dczid;
		__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
		__asm__ volatile("mrs %0, cntvct_el0" : "=r"(cnt));
		__asm__ volatile("mrs %0, midr_el1" : "=r"(midr));
		__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
		__asm__ volatile("ic ivau, %0\n dc cvau, %0" ::"r"(line) : "memory");
		if (!(dczid & 16) && (4u << (dczid & 15)) <= sizeof line)
			__asm__ volatile("dc zva, %0" ::"r"(line) : "memory");
		else
			memset(line, 0, 4u << (dczid & 15) <= sizeof line ? 4u << (dczid & 15) : sizeof line);
		ok = ctr != 0 && midr != 0 && line[0] == 0 && got_signo == 0;
		(void)cnt;
#endif
	}
	printf("user-level instructions: %s\n", ok ? "run" : "refused");
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	int sigs[] = {SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	refused("debug register write", priv_write, priv_write_at);
	refused("system register read", priv_read, priv_read_at);
	refused("interrupts off", irq_off, irq_off_at);
	divide_by_zero();
	refused("call through a kernel-only gate", gate, gate_at);
	refused("I/O port or exception level", port_in, port_in_at);
	refused("halt or translation table write", halt, halt_at);
	user_level();
	return 0;
}
