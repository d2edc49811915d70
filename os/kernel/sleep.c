/* nanosleep and clock_nanosleep (kernel/time/hrtimer.c): the caller sleeps
 * until a deadline in simulated time, as a blocked call the scheduler
 * makes again on its turns. Simulated time only jumps to the deadline
 * when every thread is blocked (os_wait_timeout); while another thread
 * can run, the sleeper waits for the cycles it runs, as on Linux. */
#include "os/kernel/syscall.h"

#include <errno.h>

/* A signal to deliver ends the sleep: EINTR and the time left in rem
 * (Linux restarts the sleep when no handler runs; the model's callers of
 * interest install handlers, and an interrupted sleep is rare). */
static struct sys_result sleep_interrupted(struct proc *p, uint64_t rem_va)
{
	uint64_t left = p->wait_deadline > now_ns(p->k) ? p->wait_deadline - now_ns(p->k) : 0;
	uint64_t ts[2] = {left / 1000000000ull, left % 1000000000ull};
	struct sys_result r = {.ret = -EINTR, .action = SYSA_NONE};
	if (rem_va && put_user(p->k, rem_va, ts, 16))
		r.ret = -EFAULT;
	return r;
}

/* The deadline (simulated ns since boot) of a new sleep, or -errno. A sleep
 * until an absolute time (TIMER_ABSTIME) of the realtime clock counts
 * from the epoch. */
static int64_t sleep_deadline(struct kernel *k, uint64_t clk, uint64_t flags, uint64_t va, uint64_t *out)
{
	uint64_t ts[2];
	if (os_copy_from_user(k, ts, va, 16))
		return -EFAULT;
	if (ts[1] >= 1000000000ull || (int64_t)ts[0] < 0)
		return -EINVAL;
	uint64_t ns = ts[0] * 1000000000ull + ts[1], now = now_ns(k);
	if (flags & 1) {   /* TIMER_ABSTIME */
		uint64_t base = clk == 0 ? EPOCH_SECONDS * 1000000000ull : 0;
		*out = ns > base ? ns - base : 0;
	} else {
		*out = now + ns;
	}
	return 0;
}

static struct sys_result sys_sleep(struct proc *p, uint64_t clk, uint64_t flags, uint64_t va, uint64_t rem_va)
{
	struct sys_result r = {.action = SYSA_NONE};
	if (!p->timed_wait) {   /* a new sleep, not the call made again */
		uint64_t deadline;
		if ((r.ret = sleep_deadline(p->k, clk, flags, va, &deadline)))
			return r;
		p->timed_wait = true;
		p->wait_deadline = deadline;
	}
	if (now_ns(p->k) >= p->wait_deadline)
		return r;   /* 0: it has slept */
	if (os_signal_pending(p))
		return sleep_interrupted(p, flags & 1 ? 0 : rem_va);
	r.ret = -EINTR;
	r.action = SYSA_BLOCK;
	return r;
}

bool sleep_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_NANOSLEEP: *r = sys_sleep(p, 0, 0, a[0], a[1]); return true;
	case S_CLOCK_NANOSLEEP: *r = sys_sleep(p, a[0], a[1], a[2], a[3]); return true;
	default: return false;
	}
}
