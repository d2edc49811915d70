/* The floating-point state a program starts with, as Linux sets it at
 * exec (x86-64: x87 control word 0x37f — 64-bit precision, round to
 * nearest — and MXCSR 0x1f80; arm64: FPCR 0), inherited by a forked
 * child and set again by execve. long double arithmetic shows it: with a
 * control word of 0 the x87 rounds to 24 bits once glibc's long double to
 * integer conversion has reloaded the saved word, and the sums go wrong. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void check_state(const char *who)
{
#if defined(__x86_64__)
	uint16_t cw;
	uint32_t mxcsr;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	if (cw != 0x37f || (mxcsr & ~0x3fu) != 0x1f80)   /* the low six bits: exception flags raised since */
		printf("%s: x87 control word 0x%x, MXCSR 0x%x\n", who, cw, mxcsr);
	else
		printf("%s: floating-point control as Linux sets it\n", who);
#elif defined(__aarch64__)
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	if (fpcr != 0)
		printf("%s: FPCR 0x%llx\n", who, (unsigned long long)fpcr);
	else
		printf("%s: floating-point control as Linux sets it\n", who);
#endif
}

static void work(const char *who)
{
	check_state(who);
	volatile long double big = 9007199254740993.0L;   /* 2^53 + 1: needs 54 bits */
	long long n = (long long)big;                     /* reloads the saved control word */
	long double sum = 0;
	for (int i = 1; i <= 15000; i++)
		sum += (long double)i;                    /* 112507500: needs 27 bits */
	long double mean = sum / 15000.0L;
	printf("%s: %lld %.1Lf %.4Lf %lld\n", who, n, sum, mean, (long long)(sum * 8.0L));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec")) {
		work("after exec");
		return 0;
	}
	work("start");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		work("child");
		return 0;
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
	perror("execl");
	return 1;
}
