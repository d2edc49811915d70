/* epoll (fs/eventpoll.c): an interest list of descriptors on an open file
 * of its own, and a wait for any of them to be ready.
 *
 * Readiness is poll's (poll.c: pipes as their contents and ends say, host
 * streams always, an epoll when one of its own items is ready); regular
 * files and directories cannot be watched (EPERM), as on Linux. An item
 * is keyed by (open file, descriptor number) and goes when the open file's
 * last reference does (a closed descriptor whose file lives on in a dup
 * stays, as Linux's does). Level-triggered items are reported while ready;
 * edge-triggered ones (EPOLLET) once per wakeup of the file — a pipe's
 * write wakes its readers, a read of a full pipe its writers, the close of
 * an end the other — counted by pipe_wakeups; EPOLLONESHOT disables an
 * item once reported until EPOLL_CTL_MOD. Ready items are reported in the
 * order they were added (Linux's: the order they became ready), which
 * differs only in the order of events one call returns.
 *
 * A wait with nothing ready sleeps as poll's does (the scheduler makes the
 * call again), until an item is ready, a signal comes (EINTR) or the
 * timeout passes in simulated time. */
#include "os/kernel/syscall.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define EPOLLIN        0x001u
#define EPOLLERR       0x008u
#define EPOLLHUP       0x010u
#define EPOLLOUT       0x004u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* The bits EPOLLEXCLUSIVE may come with (EPOLLEXCLUSIVE_OK_BITS). */
#define EXCLUSIVE_OK   (0x001u | 0x004u | 0x008u | 0x010u | 0x040u | 0x100u | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLL_CLOEXEC 02000000u      /* O_CLOEXEC, the same on both architectures */
#define EPOLL_MAX_NESTS 4
#define EP_MAX_EVENTS (0x7fffffff / 16)   /* INT_MAX / sizeof(struct epoll_event) */

struct epitem {
	int fd;
	struct open_file *file;
	uint32_t events;        /* asked, with EPOLLERR | EPOLLHUP */
	uint64_t data;
	uint64_t seen;          /* EPOLLET: the file's wakeups when last reported */
};

struct epoll {
	struct epitem *items;
	size_t n, cap;
};

/* struct epoll_event: packed on x86-64 (12 bytes), 16 on arm64. */
static uint64_t event_size(const struct kernel *k)
{
	return k->fmt->arch == ARCH_X86_64 ? 12 : 16;
}

/* The wakeups of a file so far that concern `events` (EPOLLET). */
static uint64_t file_wakeups(const struct open_file *of, uint32_t events)
{
	return of->pipe ? pipe_wakeups(of, (events & EPOLLIN) != 0, (events & EPOLLOUT) != 0) : 0;
}

static unsigned readiness(const struct open_file *of, int depth);

/* An epoll's own readiness: readable when an item of it would be reported. */
static unsigned epoll_readiness(const struct epoll *ep, int depth)
{
	if (depth > EPOLL_MAX_NESTS)
		return 0;
	for (size_t i = 0; i < ep->n; i++) {
		const struct epitem *it = &ep->items[i];
		if ((it->events & EPOLLET) && it->seen == file_wakeups(it->file, it->events))
			continue;
		if (readiness(it->file, depth + 1) & it->events & ~EP_PRIVATE_BITS)
			return POLL_READABLE;
	}
	return 0;
}

static unsigned readiness(const struct open_file *of, int depth)
{
	if (of->pipe)
		return pipe_poll(of);
	if (of->epoll)
		return epoll_readiness(of->epoll, depth);
	return POLL_READABLE | POLL_WRITABLE;   /* a host stream, as poll takes it */
}

unsigned epoll_poll(const struct open_file *of)
{
	return epoll_readiness(of->epoll, 0);
}

static struct epitem *find_item(struct epoll *ep, const struct open_file *file, int fd)
{
	for (size_t i = 0; i < ep->n; i++)
		if (ep->items[i].file == file && ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

static void remove_item(struct epoll *ep, struct epitem *it)
{
	it->file->epoll_watched--;
	size_t i = (size_t)(it - ep->items);
	memmove(it, it + 1, (ep->n - i - 1) * sizeof *it);
	ep->n--;
}

/* Whether `from` reaches the epoll `to` through nested epolls (ELOOP), or
 * nests deeper than Linux allows. */
static bool epoll_loops(const struct epoll *from, const struct epoll *to, int depth)
{
	if (from == to || depth > EPOLL_MAX_NESTS)
		return true;
	for (size_t i = 0; i < from->n; i++)
		if (from->items[i].file->epoll && epoll_loops(from->items[i].file->epoll, to, depth + 1))
			return true;
	return false;
}

static int64_t sys_epoll_create(struct proc *p, uint64_t flags)
{
	if (flags & ~(uint64_t)EPOLL_CLOEXEC)
		return -EINVAL;
	struct open_file *of = calloc(1, sizeof *of);
	struct epoll *ep = calloc(1, sizeof *ep);
	if (!of || !ep) {
		free(of);
		free(ep);
		return -ENOMEM;
	}
	*of = (struct open_file){.epoll = ep, .host_fd = -1, .flags = OPEN_READ | OPEN_WRITE, .refcount = 1};
	int fd = fd_install(p, of, 0);
	if (fd < 0) {
		open_file_put(p->k, of);
		return fd;
	}
	fd_set_cloexec(p, fd, flags & EPOLL_CLOEXEC);
	return fd;
}

static int64_t sys_epoll_ctl(struct proc *p, int epfd, int op, int fd, uint64_t event_va)
{
	uint8_t ev[16] = {0};
	uint32_t events = 0;
	uint64_t data = 0;
	bool has_event = op != EPOLL_CTL_DEL;
	if (has_event) {
		if (os_copy_from_user(p->k, ev, event_va, event_size(p->k)))
			return -EFAULT;
		memcpy(&events, ev, 4);
		memcpy(&data, ev + (event_size(p->k) == 12 ? 4 : 8), 8);
	}
	struct open_file *epf = fd_get(p, epfd), *tf = fd_get(p, fd);
	if (!epf || !tf)
		return -EBADF;
	if (tf->inode || tf->dir || tf->proc)
		return -EPERM;   /* no poll method: regular files, directories (/proc: see docs/syscalls.md) */
	if (has_event && (events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD || (op == EPOLL_CTL_ADD && (tf->epoll || (events & ~EXCLUSIVE_OK))))
			return -EINVAL;
	}
	if (epf == tf || !epf->epoll)
		return -EINVAL;
	struct epoll *ep = epf->epoll;
	struct epitem *it = find_item(ep, tf, fd);
	events &= ~EPOLLWAKEUP;   /* without CAP_BLOCK_SUSPEND's meaning here: no suspend to block */
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (tf->epoll && epoll_loops(tf->epoll, ep, 1))
			return -ELOOP;
		if (ep->n == ep->cap) {
			size_t cap = ep->cap ? 2 * ep->cap : 8;
			struct epitem *v = realloc(ep->items, cap * sizeof *v);
			if (!v)
				return -ENOMEM;
			ep->items = v;
			ep->cap = cap;
		}
		ep->items[ep->n++] = (struct epitem){.fd = fd, .file = tf, .events = events | EPOLLERR | EPOLLHUP,
						     .data = data, .seen = UINT64_MAX};
		tf->epoll_watched++;
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		*it = (struct epitem){.fd = fd, .file = tf, .events = events | EPOLLERR | EPOLLHUP, .data = data,
				      .seen = UINT64_MAX};   /* ready now: reported (ep_modify) */
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		remove_item(ep, it);
		return 0;
	default: return -EINVAL;
	}
}

/* Writes the ready items' events: how many, or -EFAULT when the first
 * could not be written. */
static int64_t collect_events(struct proc *p, struct epoll *ep, uint64_t va, int maxevents)
{
	int64_t got = 0;
	uint64_t size = event_size(p->k);
	for (size_t i = 0; i < ep->n && got < maxevents; i++) {
		struct epitem *it = &ep->items[i];
		uint64_t wakeups = file_wakeups(it->file, it->events);
		if ((it->events & EPOLLET) && it->seen == wakeups)
			continue;
		uint32_t revents = readiness(it->file, 1) & it->events & ~EP_PRIVATE_BITS;
		if (!revents)
			continue;
		uint8_t ev[16] = {0};
		memcpy(ev, &revents, 4);
		memcpy(ev + (size == 12 ? 4 : 8), &it->data, 8);
		if (os_copy_to_user(p->k, va + (uint64_t)got * size, ev, size))
			return got ? got : -EFAULT;
		it->seen = wakeups;
		if (it->events & EPOLLONESHOT)
			it->events &= EP_PRIVATE_BITS;   /* disabled until EPOLL_CTL_MOD */
		got++;
	}
	return got;
}

/* timeout_ns: UINT64_MAX for none. */
static struct sys_result epoll_wait(struct proc *p, int epfd, uint64_t va, int64_t maxevents, uint64_t timeout_ns)
{
	struct sys_result r = {.action = SYSA_NONE};
	struct open_file *of;
	uint64_t top = p->k->fmt->arch == ARCH_X86_64 ? 1ull << 47 : 1ull << 48;
	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		r.ret = -EINVAL;
	else if (va >= top || (uint64_t)maxevents * event_size(p->k) > top - va)
		r.ret = -EFAULT;   /* access_ok */
	else if (!(of = fd_get(p, epfd)))
		r.ret = -EBADF;
	else if (!of->epoll)
		r.ret = -EINVAL;
	else
		r.ret = collect_events(p, of->epoll, va, (int)maxevents);
	if (r.ret != 0 || timeout_ns == 0 || wait_deadline_passed(p, timeout_ns))
		return r;   /* ready, an error, or timed out: 0 */
	r.ret = -EINTR;   /* what a signal makes of the wait (ep_poll), never restarted */
	r.action = SYSA_BLOCK;
	return r;
}

static uint64_t ms_timeout(uint64_t a)
{
	int64_t ms = (int32_t)a;
	return ms < 0 ? UINT64_MAX : (uint64_t)ms * 1000000ull;
}

/* epoll_pwait and epoll_pwait2: the wait under a signal mask of its own. */
static struct sys_result epoll_pwait(struct proc *p, const uint64_t a[6], bool timespec)
{
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t timeout = UINT64_MAX;
	if (!timespec)
		timeout = ms_timeout(a[3]);
	else if (a[3]) {
		uint64_t ts[2];
		if (os_copy_from_user(p->k, ts, a[3], 16)) {
			r.ret = -EFAULT;
			return r;
		}
		if ((int64_t)ts[0] < 0 || ts[1] >= 1000000000ull) {
			r.ret = -EINVAL;
			return r;
		}
		timeout = ts[0] > UINT64_MAX / 2000000000ull ? UINT64_MAX : ts[0] * 1000000000ull + ts[1];
	}
	if ((r.ret = poll_set_sigmask(p, a[4], a[5])))
		return r;
	r = epoll_wait(p, (int)a[0], a[1], (int32_t)a[2], timeout);
	if (r.action != SYSA_BLOCK && p->sig.restore_mask) {
		p->sig.blocked = p->sig.saved_mask;   /* no signal: the mask goes back at once */
		p->sig.restore_mask = false;
	}
	return r;
}

bool epoll_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	*r = (struct sys_result){.action = SYSA_NONE};
	switch (s) {
	case S_EPOLL_CREATE: r->ret = (int32_t)a[0] <= 0 ? -EINVAL : sys_epoll_create(p, 0); return true;
	case S_EPOLL_CREATE1: r->ret = sys_epoll_create(p, (uint32_t)a[0]); return true;
	case S_EPOLL_CTL: r->ret = sys_epoll_ctl(p, (int)a[0], (int)a[1], (int)a[2], a[3]); return true;
	case S_EPOLL_WAIT: *r = epoll_wait(p, (int)a[0], a[1], (int32_t)a[2], ms_timeout(a[3])); return true;
	case S_EPOLL_PWAIT: *r = epoll_pwait(p, a, false); return true;
	case S_EPOLL_PWAIT2: *r = epoll_pwait(p, a, true); return true;
	default: return false;
	}
}

void epoll_release(struct open_file *of)
{
	struct epoll *ep = of->epoll;
	for (size_t i = 0; i < ep->n; i++)
		ep->items[i].file->epoll_watched--;
	free(ep->items);
	free(ep);
}

/* of's last reference is going: every epoll watching it forgets it
 * (eventpoll_release). Epolls live in descriptor tables, so those are
 * searched; only files some epoll watches pay for it. */
void epoll_file_gone(struct kernel *k, struct open_file *of)
{
	for (size_t i = 0; i < k->svc->nprocs && of->epoll_watched; i++) {
		struct proc *p = k->svc->procs[i];
		for (int fd = 0; p && fd < p->nfd && of->epoll_watched; fd++) {
			struct open_file *e = p->fd[fd];
			if (!e || !e->epoll)
				continue;
			for (size_t j = e->epoll->n; j-- > 0;)
				if (e->epoll->items[j].file == of)
					remove_item(e->epoll, &e->epoll->items[j]);
		}
	}
}
