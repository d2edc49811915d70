/* shootdown — one thread changes the mappings another thread is using.
 *
 * Memory behaviour: a worker thread keeps reading (then writing) a page
 * that main maps; once the worker has used it (its CPU's TLB holds the
 * translation), main munmaps it (then mprotects it read-only). On several
 * CPUs the kernel must invalidate the worker's TLB entry on the worker's
 * CPU - a TLB shootdown - so the worker's next access faults: SIGSEGV,
 * SEGV_MAPERR for the munmapped page and SEGV_ACCERR for the write to the
 * read-only one, in the worker, at that page, as on Linux. The worker
 * catches it and leaves the loop (siglongjmp), and main joins it.
 * A third phase does the same inside a transparent huge page (2 MiB,
 * MADV_HUGEPAGE): main's mprotect of one page splits the huge mapping
 * first (__split_huge_pmd: the huge entry goes from every CPU's TLB), then
 * takes that page's access away; the worker's read faults, SEGV_ACCERR.
 *
 * Prints, per phase, what the worker saw (the signal, its code, whether
 * the address was the page and the thread the worker); exits 0. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile char *page;
static atomic_int started, stop;
static sigjmp_buf env;
static volatile sig_atomic_t got_sig, got_code;
static void *volatile got_addr;
static volatile pid_t got_tid;
static pid_t worker_tid;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	got_tid = (pid_t)syscall(SYS_gettid);
	siglongjmp(env, 1);
}

/* Uses the page until a fault ends the loop (or main says stop). */
static void *worker(void *arg)
{
	int write = *(int *)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	if (sigsetjmp(env, 1))
		return NULL;
	unsigned long sum = 0;
	for (;;) {
		if (write)
			page[sum & 255] = (char)sum;
		else
			sum += (unsigned char)page[sum & 255];
		sum++;
		atomic_store(&started, 1);
		if (atomic_load(&stop))
			return NULL;
	}
}

static void phase(const char *name, int write, int huge)
{
	size_t len = huge ? 2ul << 20 : 4096 * 4;
	if (huge) {   /* 2 MiB aligned inside 4 MiB */
		char *p = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page = (char *)(((unsigned long)p + len - 1) & ~(len - 1));
		madvise((void *)page, len, MADV_HUGEPAGE);
	} else {
		page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	memset((char *)page, 1, len);
	atomic_store(&started, 0);
	got_sig = got_code = 0;
	got_addr = NULL;
	pthread_t th;
	pthread_create(&th, NULL, worker, &write);
	while (!atomic_load(&started))
		sched_yield();
	if (huge)
		mprotect((void *)page, 4096, PROT_NONE);
	else if (write)
		mprotect((void *)page, len, PROT_READ);
	else
		munmap((void *)page, len);
	pthread_join(th, NULL);
	printf("%s: worker got %s, %s, at the page: %s, in the worker: %s\n", name,
	       got_sig == SIGSEGV ? "SIGSEGV" : "no signal",
	       got_code == SEGV_MAPERR ? "SEGV_MAPERR" : got_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other code",
	       (char *)got_addr >= (char *)page && (char *)got_addr < (char *)page + 4096 ? "yes" : "no",
	       got_tid == worker_tid ? "yes" : "no");
	if (write || huge)
		munmap((void *)page, len);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	phase("munmap", 0, 0);
	phase("mprotect", 1, 0);
	phase("thp split", 0, 1);
	return 0;
}
