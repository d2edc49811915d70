/* poll and ppoll (fs/select.c): which descriptors are ready, now or once
 * another process has made them so.
 *
 * Pipes are ready as their contents and ends say; regular files and
 * directories always are (Linux's DEFAULT_POLLMASK); a host stream (the
 * terminal, mmusim's own standard input or output) is taken as ready for
 * whatever is asked: a read or write of it waits in the host as the call
 * itself would, and asking the host would make the run depend on timing.
 * Nothing ready: a zero timeout returns 0; otherwise the process sleeps
 * (the scheduler makes the call again) until a descriptor is ready, a
 * signal comes (-ERESTARTNOHAND: EINTR once a handler ran), or the
 * timeout has passed in simulated time (the scheduler moves the clock to
 * the earliest such deadline when nothing else can run: os_wait_timeout). */
#include "os/kernel/syscall.h"

#include <signal.h>
#include <string.h>

static unsigned file_poll(struct proc *p, int fd)
{
	if (fd < 0)
		return 0;   /* ignored, revents 0 */
	const struct open_file *of = fd_get(p, fd);
	if (!of)
		return POLL_INVALID;
	if (of->pipe)
		return pipe_poll(of);
	if (of->epoll)
		return epoll_poll(of);
	return POLL_READABLE | POLL_WRITABLE;
}

/* Fills in revents; returns how many descriptors have any, or -errno. */
static int64_t poll_scan(struct proc *p, uint64_t fds_va, uint64_t nfds)
{
	struct kernel *k = p->k;
	int64_t ready = 0;
	for (uint64_t i = 0; i < nfds; i++) {
		uint8_t pfd[8];   /* struct pollfd: int fd; short events, revents */
		if (os_copy_from_user(k, pfd, fds_va + 8 * i, 8))
			return -EFAULT;
		int32_t fd;
		uint16_t events;
		memcpy(&fd, pfd, 4);
		memcpy(&events, pfd + 4, 2);
		uint16_t revents = (uint16_t)(file_poll(p, fd) & (events | POLL_ERROR | POLL_HANGUP | POLL_INVALID));
		if (put_user(k, fds_va + 8 * i + 6, &revents, 2))
			return -EFAULT;
		ready += revents != 0;
	}
	return ready;
}

/* timeout_ns: UINT64_MAX for none. */
bool wait_deadline_passed(struct proc *p, uint64_t timeout_ns)
{
	uint64_t now = now_ns(p->k);
	if (timeout_ns != UINT64_MAX && !p->timed_wait) {
		p->timed_wait = true;
		p->wait_deadline = now + timeout_ns;
	}
	return p->timed_wait && now >= p->wait_deadline;
}

static struct sys_result do_poll(struct proc *p, uint64_t fds_va, uint64_t nfds, uint64_t timeout_ns)
{
	struct sys_result r = {.action = SYSA_NONE};
	if (nfds > 1024) {   /* RLIMIT_NOFILE */
		r.ret = -EINVAL;
		return r;
	}
	r.ret = poll_scan(p, fds_va, nfds);
	if (r.ret != 0 || timeout_ns == 0 || wait_deadline_passed(p, timeout_ns))
		return r;   /* ready, or timed out: 0 */
	r.ret = -ERESTARTNOHAND;
	r.action = SYSA_BLOCK;
	return r;
}

/* ppoll's signal mask, in force while it waits (as rt_sigsuspend's). */
int poll_set_sigmask(struct proc *p, uint64_t mask_va, uint64_t size)
{
	uint64_t mask;
	if (!mask_va || p->sig.restore_mask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (os_copy_from_user(p->k, &mask, mask_va, 8))
		return -EFAULT;
	p->sig.saved_mask = p->sig.blocked;
	p->sig.restore_mask = true;
	signal_set_blocked(p, mask);
	return 0;
}

static struct sys_result sys_ppoll(struct proc *p, const uint64_t a[6])
{
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t ts[2], timeout = UINT64_MAX;
	if (a[2]) {
		if (os_copy_from_user(p->k, ts, a[2], 16)) {
			r.ret = -EFAULT;
			return r;
		}
		if ((int64_t)ts[0] < 0 || ts[1] >= 1000000000ull) {
			r.ret = -EINVAL;
			return r;
		}
		timeout = ts[0] * 1000000000ull + ts[1];
	}
	if ((r.ret = poll_set_sigmask(p, a[3], a[4])))
		return r;
	r = do_poll(p, a[0], a[1], timeout);
	if (r.action != SYSA_BLOCK && p->sig.restore_mask) {
		p->sig.restore_mask = false;
		signal_set_blocked(p, p->sig.saved_mask);   /* no signal: the mask goes back at once */
	}
	return r;
}

bool poll_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_POLL: {
		int64_t ms = (int32_t)a[2];
		*r = do_poll(p, a[0], a[1], ms < 0 ? UINT64_MAX : (uint64_t)ms * 1000000ull);
		return true;
	}
	case S_PPOLL: *r = sys_ppoll(p, a); return true;
	default: return false;
	}
}

bool os_wait_timeout(struct kernel *k)
{
	uint64_t first = threads_first_deadline(k);   /* every thread's, futex waits too */
	if (first == UINT64_MAX)
		return false;
	uint64_t now = now_ns(k);
	if (first > now)
		k->svc->sleep_cycles += (first - now) * 3;
	return true;
}
