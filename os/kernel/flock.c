/* File locks between the processes of a run: fcntl's POSIX record locks
 * (F_GETLK, F_SETLK, F_SETLKW), their open-file-description variants
 * (F_OFD_*) and BSD flock(2), with Linux's semantics (fs/locks.c):
 * - a POSIX lock belongs to a process: it is not inherited by fork, and
 *   any close of a descriptor of the file by that process drops all its
 *   locks on the file (so does its exit);
 * - an OFD or flock lock belongs to the open file description: descriptors
 *   dup'ed or inherited share it, it goes with the description's last close;
 * - POSIX and OFD locks are one set of byte ranges (they conflict with each
 *   other); flock locks are a separate whole-file set;
 * - a waiter sleeps (SYSA_BLOCK: the call is made again once others ran)
 *   and a POSIX waiter whose wait would close a cycle of POSIX waiters
 *   gets EDEADLK (posix_locks_deadlock, at most 10 steps). */
#include "os/kernel/syscall.h"

#include <stdlib.h>
#include <string.h>

#define OFFSET_MAX INT64_MAX
#define MAX_DEADLK_ITERATIONS 10

enum { F_RDLCK_G = 0, F_WRLCK_G = 1, F_UNLCK_G = 2 };   /* the same on both architectures */

/* Who holds a lock: a process (POSIX) or an open file description (OFD, flock). */
struct lock_owner {
	int pid;                        /* POSIX: the owner; OFD/flock: who took it */
	const struct open_file *ofd;    /* NULL: a POSIX lock */
};

struct file_lock {
	const void *file;    /* the file: its inode (or pipe, or description) */
	bool flock;          /* a BSD flock lock, else a record lock */
	bool write;
	struct lock_owner owner;
	int64_t start, end;  /* inclusive; end OFFSET_MAX: to the end of the file and beyond */
};

/* A POSIX waiter: process pid sleeps until `blocker` releases. */
struct lock_waiter {
	int pid;
	struct lock_owner blocker;
};

struct lock_table {
	struct file_lock *v;
	size_t n, cap;
	struct lock_waiter *w;
	size_t nw, capw;
};

static struct lock_table *table_of(struct kernel *k)
{
	if (!k->svc->locks)
		k->svc->locks = calloc(1, sizeof *k->svc->locks);
	return k->svc->locks;
}

void locks_free(struct kernel *k)
{
	if (!k->svc->locks)
		return;
	free(k->svc->locks->v);
	free(k->svc->locks->w);
	free(k->svc->locks);
	k->svc->locks = NULL;
}

static const void *lock_file(const struct open_file *of)
{
	if (of->inode)
		return of->inode;
	if (of->pipe)
		return of->pipe;
	return of;
}

static bool same_owner(struct lock_owner a, struct lock_owner b)
{
	return a.ofd || b.ofd ? a.ofd == b.ofd : a.pid == b.pid;
}

static bool overlaps(const struct file_lock *l, int64_t start, int64_t end)
{
	return l->start <= end && start <= l->end;
}

static bool add_lock(struct lock_table *t, struct file_lock l)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct file_lock *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return false;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = l;
	return true;
}

static void remove_lock(struct lock_table *t, size_t i)
{
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
	t->n--;
}

/* ---- waiters and deadlock --------------------------------------------------- */

static struct lock_waiter *waiter_of(struct lock_table *t, int pid)
{
	for (size_t i = 0; i < t->nw; i++)
		if (t->w[i].pid == pid)
			return &t->w[i];
	return NULL;
}

static void set_waiter(struct lock_table *t, int pid, struct lock_owner blocker)
{
	struct lock_waiter *w = waiter_of(t, pid);
	if (!w) {
		if (t->nw == t->capw) {
			size_t cap = t->capw ? 2 * t->capw : 8;
			struct lock_waiter *v = realloc(t->w, cap * sizeof *v);
			if (!v)
				return;
			t->w = v;
			t->capw = cap;
		}
		w = &t->w[t->nw++];
		w->pid = pid;
	}
	w->blocker = blocker;
}

void flock_wait_over(struct proc *p)
{
	struct lock_table *t = p->k->svc->locks;
	struct lock_waiter *w = t ? waiter_of(t, p->pid) : NULL;
	if (w)
		*w = t->w[--t->nw];
}

/* Would process `pid`, waiting for `blocker`, close a cycle of POSIX waiters? */
static bool posix_deadlock(struct lock_table *t, int pid, struct lock_owner blocker)
{
	for (int i = 0; i <= MAX_DEADLK_ITERATIONS && !blocker.ofd; i++) {
		struct lock_waiter *w = waiter_of(t, blocker.pid);
		if (!w)
			return false;
		blocker = w->blocker;
		if (!blocker.ofd && blocker.pid == pid)
			return true;
	}
	return false;
}

/* ---- record locks ------------------------------------------------------------- */

/* The first lock of another owner that a lock [start, end] would conflict with. */
static const struct file_lock *conflict(const struct lock_table *t, const void *file, bool flock, bool write,
					struct lock_owner owner, int64_t start, int64_t end)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct file_lock *l = &t->v[i];
		if (l->file == file && l->flock == flock && !same_owner(l->owner, owner) &&
		    overlaps(l, start, end) && (write || l->write))
			return l;
	}
	return NULL;
}

/* Owner's record locks on `file` no longer cover [start, end]: trimmed or split. */
static bool unlock_range(struct lock_table *t, const void *file, struct lock_owner owner, int64_t start, int64_t end)
{
	for (size_t i = 0; i < t->n;) {
		struct file_lock *l = &t->v[i];
		if (l->file != file || l->flock || !same_owner(l->owner, owner) || !overlaps(l, start, end)) {
			i++;
			continue;
		}
		if (l->start < start && l->end > end) {   /* split in two */
			struct file_lock tail = *l;
			tail.start = end + 1;
			l->end = start - 1;
			if (!add_lock(t, tail))
				return false;
			i++;
		} else if (l->start < start) {
			l->end = start - 1;
			i++;
		} else if (l->end > end) {
			l->start = end + 1;
			i++;
		} else {
			remove_lock(t, i);
		}
	}
	return true;
}

/* Adds owner's lock, merged with its locks of the same type it touches. */
static bool lock_range(struct lock_table *t, struct file_lock nl)
{
	for (size_t i = 0; i < t->n;) {
		struct file_lock *l = &t->v[i];
		bool touches = l->start <= (nl.end == OFFSET_MAX ? OFFSET_MAX : nl.end + 1) &&
			       nl.start <= (l->end == OFFSET_MAX ? OFFSET_MAX : l->end + 1);
		if (l->file == nl.file && !l->flock && same_owner(l->owner, nl.owner) && l->write == nl.write &&
		    touches) {
			nl.start = l->start < nl.start ? l->start : nl.start;
			nl.end = l->end > nl.end ? l->end : nl.end;
			remove_lock(t, i);
		} else {
			i++;
		}
	}
	return add_lock(t, nl);
}

/* struct flock (the same 32 bytes on x86-64 and arm64): short l_type,
 * short l_whence, off_t l_start, off_t l_len, pid_t l_pid, padding. */
struct guest_flock {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
	int32_t pad;
};
_Static_assert(sizeof(struct guest_flock) == 32, "struct flock is 32 bytes");

/* flock64_to_posix_lock: the range a struct flock names. */
static int64_t range_of(const struct open_file *of, const struct guest_flock *f, int64_t *start, int64_t *end)
{
	int64_t base;
	switch (f->whence) {
	case 0: base = 0; break;
	case 1: base = (int64_t)of->pos; break;
	case 2: base = of->inode ? (int64_t)of->inode->size : 0; break;
	default: return -EINVAL;
	}
	if (f->start > OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t s = base + f->start;
	if (s < 0)
		return -EINVAL;
	int64_t e;
	if (f->len > 0) {
		if (f->len - 1 > OFFSET_MAX - s)
			return -EOVERFLOW;
		e = s + f->len - 1;
	} else if (f->len < 0) {
		e = s - 1;
		s += f->len;
		if (s < 0)
			return -EINVAL;
	} else {
		e = OFFSET_MAX;
	}
	*start = s;
	*end = e;
	return 0;
}

static int64_t getlk(struct proc *p, struct open_file *of, bool ofd, uint64_t va)
{
	struct guest_flock f;
	if (os_copy_from_user(p->k, &f, va, sizeof f))
		return -EFAULT;
	if (f.type != F_RDLCK_G && f.type != F_WRLCK_G)
		return -EINVAL;
	int64_t s, e, rc = range_of(of, &f, &s, &e);
	if (rc)
		return rc;
	if (ofd && f.pid)
		return -EINVAL;
	struct lock_owner me = {.pid = p->pid, .ofd = ofd ? of : NULL};
	const struct file_lock *l = conflict(table_of(p->k), lock_file(of), false, f.type == F_WRLCK_G, me, s, e);
	if (!l) {
		f.type = F_UNLCK_G;
	} else {
		f.type = l->write ? F_WRLCK_G : F_RDLCK_G;
		f.whence = 0;
		f.start = l->start;
		f.len = l->end == OFFSET_MAX ? 0 : l->end - l->start + 1;
		f.pid = l->owner.ofd ? -1 : l->owner.pid;
	}
	return put_user(p->k, va, &f, sizeof f);
}

static struct sys_result setlk(struct proc *p, struct open_file *of, bool ofd, bool wait, uint64_t va)
{
	struct sys_result r = {.action = SYSA_NONE};
	struct lock_table *t = table_of(p->k);
	struct guest_flock f;
	int64_t s = 0, e = 0;
	if (!t)
		r.ret = -ENOLCK;
	else if (os_copy_from_user(p->k, &f, va, sizeof f))
		r.ret = -EFAULT;
	else if ((r.ret = range_of(of, &f, &s, &e)))
		;
	else if (f.type != F_RDLCK_G && f.type != F_WRLCK_G && f.type != F_UNLCK_G)
		r.ret = -EINVAL;
	else if ((f.type == F_RDLCK_G && !(of->flags & OPEN_READ)) || (f.type == F_WRLCK_G && !(of->flags & OPEN_WRITE)))
		r.ret = -EBADF;
	else if (ofd && f.pid)
		r.ret = -EINVAL;
	if (r.ret)
		return r;
	struct lock_owner me = {.pid = p->pid, .ofd = ofd ? of : NULL};
	const void *file = lock_file(of);
	if (f.type != F_UNLCK_G) {
		const struct file_lock *c = conflict(t, file, false, f.type == F_WRLCK_G, me, s, e);
		if (c) {
			if (!wait)
				r.ret = -EAGAIN;
			else if (!ofd && posix_deadlock(t, p->pid, c->owner))
				r.ret = -EDEADLK;
			else {
				if (!ofd)
					set_waiter(t, p->pid, c->owner);
				r = (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
			}
			return r;
		}
	}
	struct file_lock nl = {.file = file, .write = f.type == F_WRLCK_G, .owner = me, .start = s, .end = e};
	if (!unlock_range(t, file, me, s, e) || (f.type != F_UNLCK_G && !lock_range(t, nl)))
		r.ret = -ENOLCK;
	return r;
}

bool flock_fcntl(struct proc *p, uint64_t cmd, const uint64_t a[6], struct sys_result *r)
{
	if (cmd != 5 && cmd != 6 && cmd != 7 && (cmd < 36 || cmd > 38))
		return false;
	struct open_file *of = fd_get(p, (int)a[0]);
	*r = (struct sys_result){.ret = -EBADF, .action = SYSA_NONE};
	if (!of)
		return true;
	bool ofd = cmd >= 36;
	if (cmd == 5 || cmd == 36)   /* F_GETLK, F_OFD_GETLK */
		r->ret = getlk(p, of, ofd, a[2]);
	else                         /* F_SETLK(W), F_OFD_SETLK(W) */
		*r = setlk(p, of, ofd, cmd == 7 || cmd == 38, a[2]);
	return true;
}

/* ---- flock(2) ------------------------------------------------------------------- */

struct sys_result sys_flock(struct proc *p, int fd, uint64_t op)
{
	enum { LOCK_SH_G = 1, LOCK_EX_G = 2, LOCK_NB_G = 4, LOCK_UN_G = 8, LOCK_MAND_G = 32 };
	struct sys_result r = {.action = SYSA_NONE};
	struct open_file *of = fd_get(p, fd);
	struct lock_table *t = table_of(p->k);
	unsigned type = (unsigned)op & ~(unsigned)LOCK_NB_G;
	if (!of)
		r.ret = -EBADF;
	else if (op & LOCK_MAND_G)   /* Linux 5.15 on: ignored, with a warning */
		r.ret = 0;
	else if ((type != LOCK_SH_G && type != LOCK_EX_G && type != LOCK_UN_G) || op > 0xffffffffu)
		r.ret = -EINVAL;
	else if (!t)
		r.ret = -ENOLCK;
	if (r.ret || (op & LOCK_MAND_G))
		return r;
	const void *file = lock_file(of);
	struct lock_owner me = {.pid = p->pid, .ofd = of};
	bool write = type == LOCK_EX_G;
	/* flock_lock_inode: an existing lock of this description of the same
	 * type stands; of the other type it goes first (not atomically). */
	for (size_t i = 0; i < t->n; i++) {
		struct file_lock *l = &t->v[i];
		if (l->file == file && l->flock && l->owner.ofd == of) {
			if (type != LOCK_UN_G && l->write == write)
				return r;
			remove_lock(t, i);
			break;
		}
	}
	if (type == LOCK_UN_G)
		return r;
	if (conflict(t, file, true, write, me, 0, OFFSET_MAX)) {
		if (op & LOCK_NB_G)
			r.ret = -EAGAIN;   /* EWOULDBLOCK */
		else
			r = (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
		return r;
	}
	struct file_lock nl = {.file = file, .flock = true, .write = write, .owner = me, .start = 0, .end = OFFSET_MAX};
	if (!add_lock(t, nl))
		r.ret = -ENOLCK;
	return r;
}

/* ---- release ---------------------------------------------------------------------- */

void locks_remove_posix(struct proc *p, const struct open_file *of)
{
	struct lock_table *t = p->k->svc->locks;
	if (!t)
		return;
	const void *file = lock_file(of);
	for (size_t i = 0; i < t->n;)
		if (t->v[i].file == file && !t->v[i].owner.ofd && t->v[i].owner.pid == p->pid)
			remove_lock(t, i);
		else
			i++;
}

void locks_remove_file(struct kernel *k, const struct open_file *of)
{
	struct lock_table *t = k->svc->locks;
	if (!t)
		return;
	for (size_t i = 0; i < t->n;)
		if (t->v[i].owner.ofd == of)
			remove_lock(t, i);
		else
			i++;
}
