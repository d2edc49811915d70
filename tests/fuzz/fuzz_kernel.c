#include "tests/fuzz/fuzz_kernel.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "presets/preset.h"

static char root_dir[] = "/tmp/mmusim-fuzz-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(path);
}

/* The files replayed traces made go when the fuzzer exits. */
static void remove_root(void) { nftw(root_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static const char *sandbox_root(void)
{
	static bool made;
	if (!made) {
		if (!mkdtemp(root_dir)) {
			perror("mkdtemp");
			abort();
		}
		atexit(remove_root);
		made = true;
	}
	return root_dir;
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* mmusim's --max-seconds for one input: after STOP_SECONDS of host time a
 * long kernel operation gives up (-EINTR), as it does on SIGTERM. What the
 * guest asked for may take that long (MAP_POPULATE of 16 GiB is millions of
 * faults); what does not stop on the flag is still a hang for -timeout. */
#define STOP_SECONDS 3
static void arm_stop_timer(void)
{
	static timer_t timer;
	static bool made;
	if (!made) {
		struct sigaction sa = {.sa_handler = request_stop};
		sigaction(SIGRTMIN + 3, &sa, NULL);
		struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 3};
		if (timer_create(CLOCK_MONOTONIC, &ev, &timer)) {
			perror("timer_create");
			abort();
		}
		made = true;
	}
	stop_requested = 0;
	struct itimerspec its = {.it_value = {.tv_sec = STOP_SECONDS}};
	timer_settime(timer, 0, &its, NULL);
}

struct kernel *fuzz_kernel(enum mmu_arch arch)
{
	struct preset p;
	char err[512];
	if (preset_load(arch == ARCH_AARCH64 ? "cortex-a76" : "skylake", &p, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	p.mmu.phys_size = 16ull << 20;
	struct os_config oc;
	os_config_default(&oc);
	oc.swap_bytes = 16ull << 20;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	if (!k || os_set_root(k, sandbox_root(), err, sizeof err)) {
		fprintf(stderr, "fuzz kernel: %s\n", err);
		abort();
	}
	arm_stop_timer();
	kernel_set_stop(k, &stop_requested);
	return k;
}
