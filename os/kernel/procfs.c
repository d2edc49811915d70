/* /proc (and the few /sys files glibc reads) generated from the model: the
 * simulated processes' address spaces, counters and signals, the machine's
 * memory, in Linux 6.1's formats (fs/proc/array.c, task_mmu.c, meminfo.c,
 * mm/vmstat.c). A file's text is made when it is read from offset 0 (as
 * seq_file restarts), from the state at that moment; making it reads page
 * tables and struct page only, so no fault, event or cycle is added to the
 * run. Only simulated processes appear, and only guest paths. */
#include "os/kernel/syscall.h"
#include "os/kernel/sandbox.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

enum pkind {
	PK_ROOT, PK_PID, PK_FDDIR, PK_SYSDIR, PK_TASKDIR, PK_TID, PK_KERNELDIR, PK_VMDIR, /* directories */
	PK_SELF, PK_THREAD_SELF, PK_EXE, PK_CWD, PK_FD,           /* links */
	PK_MAPS, PK_SMAPS, PK_ROLLUP, PK_STATUS, PK_STAT, PK_STATM, PK_CMDLINE, PK_ENVIRON, PK_COMM,
	PK_PAGEMAP, PK_MOUNTINFO, PK_MOUNTS,                      /* per process */
	PK_MEMINFO, PK_VMSTAT, PK_CPUINFO, PK_SYSSTAT, PK_UPTIME, PK_LOADAVG, PK_OVERCOMMIT, PK_SWAPPINESS,
	PK_CPU_ONLINE, PK_PID_MAX, PK_MAX_MAP_COUNT,                                           /* system */
};
#define PK_FIRST_FILE PK_MAPS
#define PK_FIRST_SYS PK_MEMINFO

struct pnode {
	enum pkind kind;
	int pid;
	int tid;   /* a thread's files (task/TID/, or /proc/TID/): its tid; 0: the process's */
	bool task; /* reached through task/ (or thread-self): the thread's own counts */
	int fd;
};

struct procfs_file {
	struct pnode n;
	char path[64];          /* as opened, for paths relative to it */
	char *text;
	size_t len;
};

/* ---- names ---------------------------------------------------------------- */

struct entry {
	const char *name;
	enum pkind kind;
};
/* In the order getdents lists them: Linux's tgid_base_stuff (fs/proc/base.c). */
static const struct entry pid_entries[] = {
	{"task", PK_TASKDIR}, {"fd", PK_FDDIR}, {"environ", PK_ENVIRON}, {"status", PK_STATUS}, {"comm", PK_COMM},
	{"cmdline", PK_CMDLINE}, {"stat", PK_STAT}, {"statm", PK_STATM}, {"maps", PK_MAPS}, {"cwd", PK_CWD},
	{"exe", PK_EXE}, {"mounts", PK_MOUNTS}, {"mountinfo", PK_MOUNTINFO}, {"smaps", PK_SMAPS},
	{"smaps_rollup", PK_ROLLUP}, {"pagemap", PK_PAGEMAP},
};
/* task/TID/ has the same files as PID/ in the same order (tid_base_stuff)
 * but task (the first entry). */
#define TID_ENTRIES (pid_entries + 1)
#define N_TID_ENTRIES (N(pid_entries) - 1)
/* /proc's own entries as Linux lists them: its proc_dir_entry tree is
 * ordered by name length, then bytes (proc_match); self and thread-self
 * come after it (proc_pid_readdir), then the pids. */
static const struct entry root_entries[] = {
	{"sys", PK_SYSDIR}, {"stat", PK_SYSSTAT}, {"uptime", PK_UPTIME}, {"vmstat", PK_VMSTAT},
	{"cpuinfo", PK_CPUINFO}, {"loadavg", PK_LOADAVG}, {"meminfo", PK_MEMINFO}, {"self", PK_SELF},
	{"thread-self", PK_THREAD_SELF},
};
/* /proc/sys/{kernel,vm}: in name order, as sysctl directories list. */
static const struct entry sys_entries[] = {{"kernel", PK_KERNELDIR}, {"vm", PK_VMDIR}};
static const struct entry kernel_entries[] = {{"pid_max", PK_PID_MAX}};
static const struct entry vm_entries[] = {
	{"max_map_count", PK_MAX_MAP_COUNT}, {"overcommit_memory", PK_OVERCOMMIT}, {"swappiness", PK_SWAPPINESS}};
#define N(a) (sizeof a / sizeof *a)

static enum pkind find_entry(const struct entry *e, size_t n, const char *name, bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, name)) {
			*found = true;
			return e[i].kind;
		}
	*found = false;
	return PK_ROOT;
}

static bool is_dir(enum pkind k) { return k <= PK_VMDIR; }
static bool is_link(enum pkind k) { return k >= PK_SELF && k <= PK_FD; }

/* A process /proc shows: alive, or dead and not yet reaped (a zombie). */
static struct proc *visible_proc(const struct kernel *k, int pid)
{
	struct proc *p = proc_find(k, pid);
	return p && (p->alive || !p->reaped) ? p : NULL;
}

/* A thread task/ lists: a live one of q, or its leader, dead or not (Linux
 * keeps the leader's task, a zombie, until the whole process is reaped). */
static bool thread_listed(const struct proc *q, const struct thread *t)
{
	return t->p == q && (t->alive || t->tid == q->pid);
}

/* Thread tid of q as task/ lists it; tid 0: the leader (the process's own
 * files show it), or the one that runs if the leader went. */
static struct thread *task_of(const struct proc *q, int tid)
{
	const struct services *svc = q->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (thread_listed(q, svc->threads[i]) && svc->threads[i]->tid == (tid ? tid : q->pid))
			return svc->threads[i];
	return tid ? NULL : q->thread;
}

static int threads_of(const struct proc *q)
{
	const struct services *svc = q->k->svc;
	int n = 0;
	for (size_t i = 0; i < svc->nthreads; i++)
		n += thread_listed(q, svc->threads[i]);
	return n;
}

static bool parse_num(const char *s, int *out)
{
	if (!*s || strlen(s) > 9)
		return false;
	int v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool procfs_claims(const char *path)
{
	return (!strncmp(path, "/proc", 5) && (path[5] == '/' || !path[5])) ||
	       !strcmp(path, "/sys/devices/system/cpu/online") || !strcmp(path, "/sys/devices/system/cpu/possible");
}

bool procfs_path(struct proc *p, int64_t dirfd, const char *path, char out[PATH_MAX_GUEST])
{
	if (path[0] == '/') {
		if (dev_fd_link(path, out))
			return true;
		snprintf(out, PATH_MAX_GUEST, "%s", path);
		return procfs_claims(path);
	}
	const char *base = NULL;
	if ((int32_t)dirfd == AT_FDCWD_GUEST) {
		base = p->proc_cwd[0] ? p->proc_cwd : NULL;
	} else {
		struct open_file *of = fd_get(p, (int)dirfd);
		base = of && of->proc ? of->proc->path : NULL;
	}
	if (!base)
		return false;
	snprintf(out, PATH_MAX_GUEST, "%s/%s", base, path);
	return true;
}

/* The node a path names: 0 or -ENOENT (-ENOTDIR below a file). */
static int resolve(const struct proc *p, const char *path, struct pnode *n)
{
	*n = (struct pnode){.kind = PK_ROOT};
	if (!strncmp(path, "/sys/", 5)) {
		n->kind = PK_CPU_ONLINE;
		return 0;
	}
	char buf[PATH_MAX_GUEST];
	snprintf(buf, sizeof buf, "%s", path + 5);
	char *save = NULL;
	int depth = 0;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		bool found = false;
		if (n->kind == PK_SELF || n->kind == PK_THREAD_SELF)   /* followed: a link in the middle of a path */
			n->kind = n->kind == PK_SELF ? PK_PID : PK_TID;
		if (!is_dir(n->kind))
			return is_link(n->kind) ? -ENOENT : -ENOTDIR;   /* links are not followed through */
		switch (n->kind) {
		case PK_ROOT: {
			int pid;
			if (!strcmp(c, "self") || !strcmp(c, "thread-self")) {
				n->kind = c[0] == 's' ? PK_SELF : PK_THREAD_SELF;
				n->pid = p->pid;
				n->tid = c[0] == 's' ? 0 : p->thread->tid;
				n->task = c[0] != 's';
				found = true;
			} else if (parse_num(c, &pid)) {
				struct proc *q = thread_proc(p->k, pid);
				n->kind = PK_PID;
				n->pid = pid;
				found = visible_proc(p->k, pid) != NULL;
				if (!found && q && q->pid != pid) {   /* a thread's tid: not listed, but found (as Linux) */
					n->pid = q->pid;
					n->tid = pid;
					found = true;
				}
			} else {
				n->kind = find_entry(root_entries, N(root_entries), c, &found);
			}
			break;
		}
		case PK_PID:
		case PK_TID:
			n->kind = n->kind == PK_PID ? find_entry(pid_entries, N(pid_entries), c, &found)
						    : find_entry(TID_ENTRIES, N_TID_ENTRIES, c, &found);
			break;
		case PK_TASKDIR: {
			struct proc *q = visible_proc(p->k, n->pid);
			found = q && parse_num(c, &n->tid) && n->tid > 0 && task_of(q, n->tid);
			n->kind = PK_TID;
			n->task = true;
			break;
		}
		case PK_SYSDIR:
			n->kind = find_entry(sys_entries, N(sys_entries), c, &found);
			break;
		case PK_KERNELDIR:
			n->kind = find_entry(kernel_entries, N(kernel_entries), c, &found);
			break;
		case PK_VMDIR:
			n->kind = find_entry(vm_entries, N(vm_entries), c, &found);
			break;
		case PK_FDDIR: {
			struct proc *q = visible_proc(p->k, n->pid);
			found = q && parse_num(c, &n->fd) && fd_get(q, n->fd);
			n->kind = PK_FD;
			break;
		}
		default:
			break;
		}
		if (!found)
			return -ENOENT;
		depth++;
	}
	(void)depth;
	return 0;
}

int procfs_chdir(struct proc *p, const char *path)
{
	struct pnode n;
	int rc = resolve(p, path, &n);
	if (rc)
		return rc;
	if (!is_dir(n.kind) && n.kind != PK_SELF && n.kind != PK_THREAD_SELF)
		return -ENOTDIR;
	if (strlen(path) >= sizeof p->proc_cwd)
		return -ENAMETOOLONG;
	snprintf(p->proc_cwd, sizeof p->proc_cwd, "%s", path);
	return 0;
}

int procfs_access(struct proc *p, const char *path, int mode)
{
	struct pnode n;
	int rc = resolve(p, path, &n);
	if (rc)
		return rc;
	if ((mode & 2) && !is_dir(n.kind) && n.kind != PK_COMM)
		return -EACCES;   /* nothing but comm is writable */
	if ((mode & 1) && !is_dir(n.kind))
		return -EACCES;
	return 0;
}

/* ---- text ------------------------------------------------------------------ */

struct text {
	char *s;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *s = realloc(t->s, cap);
		if (!s)
			return;
		t->s = s;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void put_kb(struct text *t, const char *label, uint64_t bytes)
{
	put(t, "%-16s%8llu kB\n", label, (unsigned long long)(bytes >> 10));
}

/* The name a file of thread tid of q shows (tid 0: the process's, its
 * leader's, as the pid's task is the leader). */
static const char *comm_of(const struct proc *q, int tid)
{
	const struct thread *t = tid ? task_of(q, tid) : proc_leader(q);
	return t ? t->comm : "";
}

/* status's Name: the name with newline and backslash escaped
 * (proc_task_name's seq_escape_str, ESCAPE_SPACE | ESCAPE_SPECIAL). */
static void put_escaped_name(struct text *t, const char *name)
{
	for (; *name; name++)
		if (*name == '\n')
			put(t, "\\n");
		else if (*name == '\\')
			put(t, "\\\\");
		else
			put(t, "%c", *name);
}

/* ---- reading a process's memory without touching it --------------------- */

/* The leaf entry mapping va (raw, 0 if none) and its level; *skip: the bytes
 * from va to the end of the empty table span when there is none. */
static uint64_t leaf_at(struct kernel *k, const struct mm *mm, uint64_t va, int *level, uint64_t *skip)
{
	uint64_t table = mm->root;
	*skip = k->page;
	if (!table)
		return 0;
	for (int l = k->fmt->top_level;; l++) {
		pte_t e = pte_read(k, (ptep_t){table + 8ull * pt_index(k->fmt, l, va)});
		struct pte d = pte_decode(k->fmt, l, pte_present_view(k->fmt, e.raw));
		*level = l;
		if (l == PT_LEVEL_LEAF || d.kind == PTE_BLOCK)
			return e.raw;
		if (d.kind != PTE_TABLE) {
			uint64_t span = 1ull << pt_leaf_shift(k->fmt, l);
			*skip = span - (va & (span - 1));
			return e.raw;   /* empty, or a swap entry cannot be here */
		}
		table = d.oa;
	}
}

/* Bytes of user memory of q, read through its page tables (no fault: a
 * page that is not present ends the read). */
static size_t read_mem(struct kernel *k, struct mm *mm, uint64_t va, uint64_t end, struct text *t)
{
	size_t got = 0;
	while (va < end) {
		uint64_t pa;
		if (!mm->root || !mm_translate(k, mm, va, &pa))
			break;
		uint64_t n = k->page - (va & (k->page - 1));
		if (n > end - va)
			n = end - va;
		const char *src = physmem_ptr(k->pm, pa, n);
		if (!src)
			break;
		if (t->len + n + 1 > t->cap) {
			char *s = realloc(t->s, t->len + n + 4096);
			if (!s)
				break;
			t->s = s;
			t->cap = t->len + n + 4096;
		}
		memcpy(t->s + t->len, src, n);
		t->len += n;
		got += n;
		va += n;
	}
	return got;
}

/* ---- per process ----------------------------------------------------------- */

static bool vma_is_stack(const struct mm *mm, const struct vma *v)
{
	return v->start < mm->stack_top && v->end >= mm->stack_top;
}

static const char *vma_name(const struct mm *mm, const struct vma *v)
{
	if (v->file)
		return inode_name(v->file);
	if (v->start <= mm->brk && v->end >= mm->start_brk)
		return "[heap]";
	if (vma_is_stack(mm, v))
		return "[stack]";
	return NULL;
}

static void vma_header(struct text *t, const struct mm *mm, const struct vma *v, uint64_t start, uint64_t end,
		       bool rollup)
{
	size_t at = t->len;
	uint64_t dev = 0, ino = 0;
	if (v && v->file) {
		dev = v->file->dev;
		ino = v->file->ino;
	}
	uint32_t f = v ? v->flags : 0;
	put(t, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", (unsigned long long)start, (unsigned long long)end,
	    f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-', f & VM_EXEC ? 'x' : '-', f & VM_SHARED ? 's' : 'p',
	    (unsigned long long)(v && v->file ? v->offset : 0), major(dev), minor(dev), (unsigned long long)ino);
	const char *name = rollup ? "[rollup]" : v ? vma_name(mm, v) : NULL;
	if (name) {
		size_t col = t->len - at;
		put(t, "%*s %s", col < 72 ? (int)(72 - col) : 0, "", name);
	}
	put(t, "\n");
}

struct mss {
	uint64_t resident, shared_clean, shared_dirty, private_clean, private_dirty, referenced, anonymous,
		anonymous_thp, swap;
	uint64_t pss, pss_dirty, pss_anon, pss_file, swap_pss, pss_locked;   /* << 12 */
};
#define PSS_SHIFT 12

static bool leaf_dirty(const struct kernel *k, const struct pte *d)
{
	return d->dirty || (k->fmt->arch != ARCH_X86_64 && d->dbm && d->write);
}

/* smaps_account: one present mapping of `size` bytes of frame pfn. */
static void account(struct kernel *k, struct mss *m, uint64_t pfn, uint64_t size, const struct pte *d)
{
	struct page *pg = pfn_page(k, pfn);
	if (pg->use == USE_ZERO)
		return;   /* vm_normal_page: the zero page is nobody's */
	bool anon = pg->use == USE_ANON;
	bool dirty = leaf_dirty(k, d) || (pg->flags & PG_DIRTY);
	m->anonymous += anon ? size : 0;
	m->resident += size;
	if (d->accessed || (pg->flags & PG_REFERENCED))
		m->referenced += size;
	uint64_t share = (size << PSS_SHIFT) / (pg->mapcount > 1 ? pg->mapcount : 1);
	if (pg->refcount == 1 || pg->mapcount < 2) {
		*(dirty ? &m->private_dirty : &m->private_clean) += size;
		share = size << PSS_SHIFT;
	} else {
		*(dirty ? &m->shared_dirty : &m->shared_clean) += size;
	}
	m->pss += share;
	m->pss_dirty += dirty ? share : 0;
	*(anon ? &m->pss_anon : &m->pss_file) += share;
}

static void smaps_walk(struct kernel *k, struct mm *mm, const struct vma *v, struct mss *m)
{
	uint64_t pss_before = m->pss;
	for (uint64_t va = v->start; va < v->end;) {
		int level;
		uint64_t skip, raw = leaf_at(k, mm, va, &level, &skip);
		if (!raw) {
			va += skip;
			continue;
		}
		uint64_t size = 1ull << pt_leaf_shift(k->fmt, level);
		struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, raw));
		if (d.kind == PTE_INVALID && pte_is_swap(k->fmt, raw)) {
			unsigned type;
			uint64_t slot;
			pte_swap_decode(k->fmt, raw, &type, &slot);
			m->swap += k->page;
			unsigned users = slot < k->swap_slots && k->swap_map[slot] ? k->swap_map[slot] : 1;
			m->swap_pss += (k->page << PSS_SHIFT) / users;
		} else if (d.kind != PTE_INVALID) {
			uint64_t pfn = pa_pfn(k, d.oa);
			account(k, m, pfn, size, &d);
			if (level != PT_LEVEL_LEAF && pfn_page(k, pfn)->use == USE_ANON)
				m->anonymous_thp += size;
		}
		va = (va & ~(size - 1)) + size;
	}
	if (v->flags & VM_LOCKED)   /* Locked: the Pss of locked VMAs */
		m->pss_locked += m->pss - pss_before;
}

static void put_vmflags(struct text *t, const struct vma *v)
{
	put(t, "VmFlags:");
	uint32_t f = v->flags;
	bool shared = f & VM_SHARED;
	if (f & VM_READ) put(t, " rd");
	if (f & VM_WRITE) put(t, " wr");
	if (f & VM_EXEC) put(t, " ex");
	if (shared) put(t, " sh");
	put(t, " mr");
	if (!shared || (f & VM_WRITE)) put(t, " mw");
	put(t, " me");
	if (shared) put(t, " ms");
	if (f & VM_GROWSDOWN) put(t, " gd");
	if (f & VM_LOCKED) put(t, " lo");
	if ((f & VM_WRITE) && !shared) put(t, " ac");   /* VM_ACCOUNT: private writable memory is charged */
	if (f & VM_HUGEPAGE) put(t, " hg");
	if (f & VM_NOHUGEPAGE) put(t, " nh");
	put(t, " \n");
}

static void put_mss(struct text *t, const struct kernel *k, const struct mss *m, bool rollup)
{
	put_kb(t, "Rss:", m->resident);
	put_kb(t, "Pss:", m->pss >> PSS_SHIFT);
	put_kb(t, "Pss_Dirty:", m->pss_dirty >> PSS_SHIFT);
	if (rollup) {
		put_kb(t, "Pss_Anon:", m->pss_anon >> PSS_SHIFT);
		put_kb(t, "Pss_File:", m->pss_file >> PSS_SHIFT);
		put_kb(t, "Pss_Shmem:", 0);
	}
	put_kb(t, "Shared_Clean:", m->shared_clean);
	put_kb(t, "Shared_Dirty:", m->shared_dirty);
	put_kb(t, "Private_Clean:", m->private_clean);
	put_kb(t, "Private_Dirty:", m->private_dirty);
	put_kb(t, "Referenced:", m->referenced);
	put_kb(t, "Anonymous:", m->anonymous);
	put_kb(t, "LazyFree:", 0);
	put_kb(t, "AnonHugePages:", m->anonymous_thp);
	put_kb(t, "ShmemPmdMapped:", 0);
	put_kb(t, "FilePmdMapped:", 0);
	put_kb(t, "Shared_Hugetlb:", 0);
	put_kb(t, "Private_Hugetlb:", 0);
	put_kb(t, "Swap:", m->swap);
	put_kb(t, "SwapPss:", m->swap_pss >> PSS_SHIFT);
	put_kb(t, "Locked:", m->pss_locked >> PSS_SHIFT);
	(void)k;
}

static void gen_maps(struct text *t, struct kernel *k, struct proc *q, enum pkind kind)
{
	struct mm *mm = &q->mm;
	if (!q->alive || !mm->root)
		return;
	if (kind == PK_ROLLUP) {
		struct mss m = {0};
		for (size_t i = 0; i < mm->nvma; i++)
			smaps_walk(k, mm, &mm->vma[i], &m);
		if (!mm->nvma)
			return;
		vma_header(t, mm, NULL, mm->vma[0].start, mm->vma[mm->nvma - 1].end, true);
		put_mss(t, k, &m, true);
		return;
	}
	for (size_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		vma_header(t, mm, v, v->start, v->end, false);
		if (kind != PK_SMAPS)
			continue;
		struct mss m = {0};
		smaps_walk(k, mm, v, &m);
		put_kb(t, "Size:", v->end - v->start);
		put_kb(t, "KernelPageSize:", k->page);
		put_kb(t, "MMUPageSize:", k->page);
		put_mss(t, k, &m, false);
		put(t, "THPeligible:    %d\n", k->pers->thp && !v->file && !(v->flags & VM_NOHUGEPAGE) ? 1 : 0);
		put_vmflags(t, v);
	}
}

/* What task_mem and task_statm count, in bytes. */
struct memsz {
	uint64_t total, peak, rss, hwm, anon, file, data, stack, exe, lib, pte, swap;
	uint64_t start_code, end_code;
};

static void mem_sizes(const struct kernel *k, const struct proc *q, struct memsz *s)
{
	const struct mm *mm = &q->mm;
	*s = (struct memsz){0};
	if (!q->alive)
		return;
	s->total = mm_total_vm(mm);
	s->peak = mm->hiwater_vm > s->total ? mm->hiwater_vm : s->total;
	s->anon = mm->rss_anon * k->page;
	s->file = mm->rss_file * k->page;
	s->rss = s->anon + s->file;
	s->hwm = mm->hiwater_rss * k->page > s->rss ? mm->hiwater_rss * k->page : s->rss;
	s->pte = mm->pt_pages * k->page;
	s->swap = mm->swap_entries * k->page;
	uint64_t exec_vm = 0;
	for (size_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		uint64_t len = v->end - v->start;
		if (vma_is_stack(mm, v) || (v->flags & VM_GROWSDOWN))
			s->stack += len;
		else if ((v->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			s->data += len;
		if ((v->flags & (VM_EXEC | VM_WRITE)) == VM_EXEC) {
			exec_vm += len;
			if (!s->start_code && v->file) {   /* the program's text: its first executable mapping */
				s->start_code = v->start;
				s->end_code = v->end;
			}
		}
	}
	s->exe = s->end_code - s->start_code;
	s->lib = exec_vm - s->exe;
}

static char state_of(const struct proc *q, const struct thread *th)
{
	return !q->alive || !th->alive ? 'Z' : kernel_current(q->k) == q && q->thread == th ? 'R' : 'S';
}

/* A thread's signal mask: struct proc holds the running one's. */
static uint64_t blocked_of(const struct proc *q, const struct thread *th)
{
	return th == q->thread ? q->sig.blocked : th->saved.sig_blocked;
}

/* SigQ: the signals queued with their siginfo, shared and each thread's. */
static int queued_of(const struct proc *q)
{
	int n = q->sig.shared.n;
	for (size_t i = 0; i < q->k->svc->nthreads; i++)
		if (q->k->svc->threads[i]->p == q && q->k->svc->threads[i]->alive)
			n += q->k->svc->threads[i]->pending.n;
	return n;
}

static void sig_masks(const struct proc *q, uint64_t *ign, uint64_t *cgt)
{
	*ign = *cgt = 0;
	for (int s = 0; s < NSIG_GUEST; s++) {
		uint64_t h = q->sig.action[s].handler;
		if (h == 1)
			*ign |= 1ull << s;
		else if (h > 1)
			*cgt |= 1ull << s;
	}
}

/* proc_pid_status: the task's (a thread's, or the leader's for PID/status);
 * memory, Threads and the shared signals are the process's. */
static void gen_status(struct text *t, struct kernel *k, struct proc *q, const struct thread *th, const char *comm)
{
	static const char *states[] = {"R (running)", "S (sleeping)", "Z (zombie)"};
	char st = state_of(q, th);
	int tid = th->tid;
	put(t, "Name:\t");
	put_escaped_name(t, comm);
	put(t, "\nUmask:\t%04o\nState:\t%s\n", q->umask, states[st == 'R' ? 0 : st == 'S' ? 1 : 2]);
	put(t, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", q->pid, tid, q->ppid);
	put(t, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\nGroups:\t \n", q->nfd < 64 ? 64 : q->nfd);
	put(t, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", q->pid, tid, q->pgid, q->pgid);
	if (q->alive) {
		struct memsz s;
		mem_sizes(k, q, &s);
		const char *l[] = {"VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile",
				   "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages"};
		uint64_t v[] = {s.peak, s.total, mm_locked_bytes(&q->mm), 0, s.hwm, s.rss, s.anon, s.file, 0, s.data, s.stack, s.exe, s.lib,
				s.pte, s.swap, 0};
		for (size_t i = 0; i < N(l); i++)
			put(t, "%s:\t%8llu kB\n", l[i], (unsigned long long)(v[i] >> 10));
	}
	put(t, "CoreDumping:\t0\nTHP_enabled:\t%d\n", k->pers->thp ? 1 : 0);
	uint64_t ign, cgt;
	sig_masks(q, &ign, &cgt);
	put(t, "Threads:\t%d\nSigQ:\t%d/%llu\n", threads_of(q), queued_of(q), (unsigned long long)q->rlim[11][0]);
	/* SigPnd: the thread's own (tgkill), ShdPnd: the process's (kill) */
	put(t, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
	    (unsigned long long)th->pending.set, (unsigned long long)q->sig.shared.set,
	    (unsigned long long)blocked_of(q, th), (unsigned long long)ign, (unsigned long long)cgt);
	put(t, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
	       "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
	       "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\n"
	       "SpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
	       "Mems_allowed:\t1\nMems_allowed_list:\t0\n");
	struct usage u;
	usage_thread(q, th, &u);
	put(t, "voluntary_ctxt_switches:\t%llu\nnonvoluntary_ctxt_switches:\t%llu\n", (unsigned long long)u.nvcsw,
	    (unsigned long long)u.nivcsw);
}

static uint64_t ticks(uint64_t cycles) { return cycles / 30000000ull; }   /* USER_HZ 100 at 3 GHz */

/* do_task_stat: `whole` (PID/stat, /proc/TID/stat) counts every thread's
 * faults and time; task/TID/stat the thread's own. */
static void gen_stat(struct text *t, struct kernel *k, struct proc *q, const struct thread *th, bool whole,
		     const char *comm)
{
	struct usage u;
	if (whole)
		usage_self(q, &u);
	else
		usage_thread(q, th, &u);
	struct memsz s;
	mem_sizes(k, q, &s);
	const struct mm *mm = &q->mm;
	uint64_t ign, cgt;
	sig_masks(q, &ign, &cgt);
	bool live = q->alive;
	put(t, "%d (%s) %c %d %d %d 0 -1 4194304 %llu %llu %llu %llu %llu %llu %llu %llu 20 0 %d 0 %llu %llu %llu %llu",
	    th->tid, comm, state_of(q, th), q->ppid, q->pgid, q->pgid, (unsigned long long)u.minflt,
	    (unsigned long long)q->children.minflt, (unsigned long long)u.majflt, (unsigned long long)q->children.majflt,
	    (unsigned long long)ticks(u.utime), (unsigned long long)ticks(u.stime),
	    (unsigned long long)ticks(q->children.utime), (unsigned long long)ticks(q->children.stime), threads_of(q),
	    (unsigned long long)(q->start_ns / 10000000ull), (unsigned long long)s.total, (unsigned long long)(s.rss / k->page),
	    (unsigned long long)(q->rlim[5][0] == UINT64_MAX ? UINT64_MAX : q->rlim[5][0]));
	put(t, " %llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 17 0 0 0 0 0 0", (unsigned long long)(live ? s.start_code : 0),
	    (unsigned long long)(live ? s.end_code : 0), (unsigned long long)(live ? mm->stack_top : 0),
	    0ull, (unsigned long long)(blocked_of(q, th) & 0x7fffffff),   /* the thread's own pending: none kept */
	    (unsigned long long)(ign & 0x7fffffff), (unsigned long long)(cgt & 0x7fffffff));
	put(t, " %llu %llu %llu %llu %llu %llu %llu %d\n", 0ull, 0ull, (unsigned long long)(live ? mm->start_brk : 0),
	    (unsigned long long)(live ? mm->arg_start : 0), (unsigned long long)(live ? mm->arg_end : 0),
	    (unsigned long long)(live ? mm->env_start : 0), (unsigned long long)(live ? mm->env_end : 0),
	    live ? 0 : (q->termsig ? q->termsig : (q->status & 0xff) << 8));
}

static void gen_statm(struct text *t, struct kernel *k, struct proc *q)
{
	struct memsz s;
	mem_sizes(k, q, &s);
	uint64_t pg = k->page;
	put(t, "%llu %llu %llu %llu 0 %llu 0\n", (unsigned long long)(s.total / pg), (unsigned long long)(s.rss / pg),
	    (unsigned long long)(s.file / pg), (unsigned long long)(s.exe / pg),
	    (unsigned long long)((s.data + s.stack) / pg));
}

/* ---- pagemap ---------------------------------------------------------------- */

#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_EXCLUSIVE (1ull << 56)

static uint64_t pagemap_entry(struct kernel *k, struct mm *mm, uint64_t va)
{
	if (!vma_find(mm, va) || vma_find(mm, va)->start > va)
		return 0;
	int level;
	uint64_t skip, raw = leaf_at(k, mm, va, &level, &skip);
	if (!raw)
		return 0;
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, raw));
	if (d.kind == PTE_INVALID) {
		if (!pte_is_swap(k->fmt, raw))
			return 0;
		unsigned type;
		uint64_t slot;
		pte_swap_decode(k->fmt, raw, &type, &slot);
		return PM_SWAP | ((slot << 5 | (type & 31)) & ((1ull << 55) - 1));
	}
	uint64_t size = 1ull << pt_leaf_shift(k->fmt, level);
	uint64_t pfn = pa_pfn(k, d.oa + (va & (size - 1)));
	uint64_t e = PM_PRESENT | pfn;
	const struct page *pg = pfn_page(k, pa_pfn(k, d.oa));
	if (pg->use != USE_ZERO) {
		if (pg->use != USE_ANON)
			e |= PM_FILE;
		if (pg->mapcount == 1)
			e |= PM_EXCLUSIVE;
	}
	return e;
}

static int64_t read_pagemap(struct kernel *k, struct proc *q, uint8_t *buf, uint64_t len, uint64_t off)
{
	if (off % 8 || len % 8)
		return -EINVAL;
	if (!q->alive || !q->mm.root)
		return 0;
	uint64_t shift = k->fmt->page_shift, pages = k->user_top >> shift;
	uint64_t first = off / 8, n = len / 8;
	if (first >= pages)
		return 0;
	if (n > pages - first)
		n = pages - first;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e = pagemap_entry(k, &q->mm, (first + i) << shift);
		memcpy(buf + 8 * i, &e, 8);
	}
	return (int64_t)(8 * n);
}

/* ---- the system ------------------------------------------------------------- */

struct frame_census {
	uint64_t active_anon, inactive_anon, active_file, inactive_file, dirty, writeback, mapped, swapcached,
		pagecache, anon, thp_anon, mlocked;
};

static void census(const struct kernel *k, struct frame_census *c)
{
	*c = (struct frame_census){0};
	for (uint64_t i = 0; i < k->frames.n; i++) {
		const struct page *pg = &k->frames.page[i];
		bool anon = pg->use == USE_ANON;
		if (pg->use == USE_PAGECACHE) {
			c->pagecache++;
			c->dirty += (pg->flags & PG_DIRTY) != 0;
			c->writeback += (pg->flags & PG_WRITEBACK) != 0;
			c->mapped += pg->mapcount > 0;
		} else if (anon) {
			c->anon++;
			c->swapcached += pg->swap_slot != 0;
		}
		if (pg->flags & PG_MLOCKED)
			c->mlocked += 1ull << pg->order;   /* the unevictable list holds only these */
		if (pg->lru == LRU_ACTIVE)
			*(anon ? &c->active_anon : &c->active_file) += 1;
		else if (pg->lru == LRU_INACTIVE)
			*(anon ? &c->inactive_anon : &c->inactive_file) += 1;
	}
}

static void gen_meminfo(struct text *t, struct kernel *k)
{
	struct os_stats st;
	kernel_stats(k, &st);
	struct frame_census c;
	census(k, &c);
	uint64_t pg = k->page;
	uint64_t total = (k->memlimit_frames ? k->memlimit_frames : st.frames_total) * pg;
	uint64_t used = (st.frames_total - st.frames_free) * pg;
	uint64_t free = total > used ? total - used : 0;
	uint64_t cached = (c.pagecache > c.swapcached ? c.pagecache : 0) * pg;
	uint64_t swap_total = k->swap_slots ? (k->swap_slots - 1) * pg : 0;
	uint64_t committed = 0;
	for (size_t i = 0; i < k->svc->nprocs; i++) {
		const struct proc *q = k->svc->procs[i];
		if (!q->alive)
			continue;
		for (size_t j = 0; j < q->mm.nvma; j++)
			if ((q->mm.vma[j].flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
				committed += q->mm.vma[j].end - q->mm.vma[j].start;
	}
	put_kb(t, "MemTotal:", total);
	put_kb(t, "MemFree:", free);
	put_kb(t, "MemAvailable:", free + cached);
	put_kb(t, "Buffers:", 0);
	put_kb(t, "Cached:", cached);
	put_kb(t, "SwapCached:", c.swapcached * pg);
	put_kb(t, "Active:", (c.active_anon + c.active_file) * pg);
	put_kb(t, "Inactive:", (c.inactive_anon + c.inactive_file) * pg);
	put_kb(t, "Active(anon):", c.active_anon * pg);
	put_kb(t, "Inactive(anon):", c.inactive_anon * pg);
	put_kb(t, "Active(file):", c.active_file * pg);
	put_kb(t, "Inactive(file):", c.inactive_file * pg);
	put_kb(t, "Unevictable:", c.mlocked * pg);
	put_kb(t, "Mlocked:", c.mlocked * pg);
	put_kb(t, "SwapTotal:", swap_total);
	put_kb(t, "SwapFree:", k->swap_slots ? k->swap_free * pg : 0);
	put_kb(t, "Zswap:", 0);
	put_kb(t, "Zswapped:", 0);
	put_kb(t, "Dirty:", c.dirty * pg);
	put_kb(t, "Writeback:", c.writeback * pg);
	put_kb(t, "AnonPages:", c.anon * pg);
	put_kb(t, "Mapped:", c.mapped * pg);
	put_kb(t, "Shmem:", 0);
	put_kb(t, "KReclaimable:", 0);
	put_kb(t, "Slab:", 0);
	put_kb(t, "SReclaimable:", 0);
	put_kb(t, "SUnreclaim:", 0);
	put_kb(t, "KernelStack:", 0);
	put_kb(t, "PageTables:", st.frames_by_use[USE_PAGETABLE] * pg);
	put_kb(t, "NFS_Unstable:", 0);
	put_kb(t, "Bounce:", 0);
	put_kb(t, "WritebackTmp:", 0);
	put_kb(t, "CommitLimit:", total / 2 + swap_total);
	put_kb(t, "Committed_AS:", committed);
	put_kb(t, "VmallocTotal:", 34359738367ull << 10);
	put_kb(t, "VmallocUsed:", 0);
	put_kb(t, "VmallocChunk:", 0);
	put_kb(t, "Percpu:", 0);
	put_kb(t, "HardwareCorrupted:", 0);
	put_kb(t, "AnonHugePages:", st.thp_allocs ? c.thp_anon * pg : 0);
	put_kb(t, "ShmemHugePages:", 0);
	put_kb(t, "ShmemPmdMapped:", 0);
	put_kb(t, "FileHugePages:", 0);
	put_kb(t, "FilePmdMapped:", 0);
	put(t, "HugePages_Total:   %5d\nHugePages_Free:    %5d\nHugePages_Rsvd:    %5d\nHugePages_Surp:    %5d\n", 0,
	    0, 0, 0);
	put_kb(t, "Hugepagesize:", 1ull << pt_leaf_shift(k->fmt, PT_LEVEL_LEAF - 1));
	put_kb(t, "Hugetlb:", 0);
	if (k->fmt->arch == ARCH_X86_64) {
		put_kb(t, "DirectMap4k:", total);
		put_kb(t, "DirectMap2M:", 0);
		put_kb(t, "DirectMap1G:", 0);
	}
}

static void gen_vmstat(struct text *t, struct kernel *k)
{
	struct os_stats st;
	kernel_stats(k, &st);
	struct frame_census c;
	census(k, &c);
	struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{"nr_free_pages", st.frames_free},
		{"nr_zone_inactive_anon", c.inactive_anon},
		{"nr_zone_active_anon", c.active_anon},
		{"nr_zone_inactive_file", c.inactive_file},
		{"nr_zone_active_file", c.active_file},
		{"nr_zone_unevictable", c.mlocked},
		{"nr_zone_write_pending", c.dirty + c.writeback},
		{"nr_mlock", c.mlocked},
		{"nr_bounce", 0},
		{"nr_zspages", 0},
		{"nr_free_cma", 0},
		{"nr_inactive_anon", c.inactive_anon},
		{"nr_active_anon", c.active_anon},
		{"nr_inactive_file", c.inactive_file},
		{"nr_active_file", c.active_file},
		{"nr_unevictable", c.mlocked},
		{"nr_anon_pages", c.anon},
		{"nr_mapped", c.mapped},
		{"nr_file_pages", c.pagecache},
		{"nr_dirty", c.dirty},
		{"nr_writeback", c.writeback},
		{"nr_shmem", 0},
		{"nr_anon_transparent_hugepages", 0},
		{"nr_page_table_pages", st.frames_by_use[USE_PAGETABLE]},
		{"nr_swapcached", c.swapcached},
		{"pgpgin", st.pagecache_misses * (k->page >> 10)},
		{"pgpgout", st.writebacks * (k->page >> 10)},
		{"pswpin", st.swapins},
		{"pswpout", st.swapouts},
		{"pgfault", st.faults},
		{"pgmajfault", st.major},
		{"pgsteal_kswapd", 0},
		{"pgsteal_direct", st.evicted},
		{"pgscan_kswapd", 0},
		{"pgscan_direct", st.scanned},
		{"thp_fault_alloc", st.thp_allocs},
		{"thp_fault_fallback", st.thp_fallbacks},
		{"thp_split_page", st.thp_splits},
	};
	for (size_t i = 0; i < N(rows); i++)
		put(t, "%s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
}

static void gen_cpuinfo(struct text *t, struct kernel *k)
{
	if (k->fmt->arch == ARCH_X86_64) {
		put(t, "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
		       "model name\t: mmusim x86-64 (simulated)\nstepping\t: 4\nmicrocode\t: 0x1\ncpu MHz\t\t: 3000.000\n"
		       "cache size\t: 8192 KB\nphysical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n"
		       "apicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n"
		       "wp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "
		       "clflush mmx fxsr sse sse2 syscall nx lm rep_good nopl pni ssse3 cx16 sse4_1 sse4_2 popcnt\n"
		       "bugs\t\t:\nbogomips\t: 6000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
		       "address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n");
	} else {
		put(t, "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm cpuid\nCPU implementer\t: 0x41\n"
		       "CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n");
	}
}

/* A process released (release.c): its share of /proc/stat's totals stays. */
void procfs_keep_totals(struct kernel *k, const struct proc *p)
{
	struct usage u;
	usage_self(p, &u);
	k->svc->gone.user_ticks += ticks(u.utime);
	k->svc->gone.sys_ticks += ticks(u.stime);
	k->svc->gone.ctxt += u.nvcsw + u.nivcsw;
	k->svc->gone.procs++;
}

static void gen_sysstat(struct text *t, struct kernel *k)
{
	uint64_t user = k->svc->gone.user_ticks, sys = k->svc->gone.sys_ticks, ctxt = k->svc->gone.ctxt;
	for (size_t i = 0; i < k->svc->nprocs; i++) {
		struct usage u;
		usage_self(k->svc->procs[i], &u);
		user += ticks(u.utime);
		sys += ticks(u.stime);
		ctxt += u.nvcsw + u.nivcsw;
	}
	for (int cpu = -1; cpu < 1; cpu++) {
		if (cpu < 0)
			put(t, "cpu ");
		else
			put(t, "cpu%d", cpu);
		put(t, " %llu 0 %llu 0 0 0 0 0 0 0\n", (unsigned long long)user, (unsigned long long)sys);
	}
	int running = 0;
	for (size_t i = 0; i < k->svc->nprocs; i++)
		running += k->svc->procs[i]->alive;
	put(t, "intr 0\nctxt %llu\nbtime %llu\nprocesses %zu\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
	    (unsigned long long)ctxt, (unsigned long long)EPOCH_SECONDS, k->svc->nprocs + k->svc->gone.procs);
	(void)running;
}

/* ---- contents --------------------------------------------------------------- */

static void generate(struct proc *p, const struct pnode *n, struct text *t)
{
	struct kernel *k = p->k;
	struct proc *q = n->kind < PK_FIRST_SYS ? visible_proc(k, n->pid) : NULL;
	if (n->kind < PK_FIRST_SYS && !q)
		return;   /* it went (reaped) since the open: nothing, as Linux's ESRCH read gives nothing here */
	const struct thread *th = q ? task_of(q, n->tid) : NULL;
	if (q && !th)
		return;   /* the thread ended since the open */
	uint64_t ns = now_ns(k);
	switch (n->kind) {
	case PK_MAPS:
	case PK_SMAPS:
	case PK_ROLLUP: gen_maps(t, k, q, n->kind); break;
	case PK_STATUS: gen_status(t, k, q, th, comm_of(q, n->tid)); break;
	case PK_STAT: gen_stat(t, k, q, th, !n->task, comm_of(q, n->tid)); break;
	case PK_STATM: gen_statm(t, k, q); break;
	case PK_CMDLINE:
	case PK_ENVIRON:
		if (q->alive) {
			bool cmd = n->kind == PK_CMDLINE;
			read_mem(k, &q->mm, cmd ? q->mm.arg_start : q->mm.env_start, cmd ? q->mm.arg_end : q->mm.env_end, t);
		}
		break;
	case PK_COMM: put(t, "%s\n", comm_of(q, n->tid)); break;
	case PK_MOUNTINFO:
		put(t, "1 0 0:1 / / rw,relatime shared:1 - rootfs rootfs rw\n"
		       "2 1 0:2 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n");
		break;
	case PK_MOUNTS: put(t, "rootfs / rootfs rw,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"); break;
	case PK_MEMINFO: gen_meminfo(t, k); break;
	case PK_VMSTAT: gen_vmstat(t, k); break;
	case PK_CPUINFO: gen_cpuinfo(t, k); break;
	case PK_SYSSTAT: gen_sysstat(t, k); break;
	case PK_UPTIME:
		put(t, "%llu.%02llu 0.00\n", (unsigned long long)(ns / 1000000000ull),
		    (unsigned long long)(ns / 10000000ull % 100));
		break;
	case PK_LOADAVG: {
		int alive = 0;
		for (size_t i = 0; i < k->svc->nprocs; i++)
			alive += k->svc->procs[i]->alive;
		put(t, "0.00 0.00 0.00 1/%d %d\n", alive, k->svc->last_pid);
		break;
	}
	case PK_OVERCOMMIT: put(t, "0\n"); break;
	case PK_SWAPPINESS: put(t, "60\n"); break;
	case PK_PID_MAX: put(t, "%d\n", PID_MAX); break;
	case PK_MAX_MAP_COUNT: put(t, "%d\n", MAX_MAP_COUNT); break;
	case PK_CPU_ONLINE: put(t, "0\n"); break;
	default: break;
	}
}

/* ---- the calls ------------------------------------------------------------ */

/* Opening /proc/PID/exe or /proc/PID/fd/N opens what the link names: a
 * new open file of the same inode (its own position), or, for a pipe or
 * a host stream, the same one (proc_fd_link reopens the same object). */
static int open_link_target(struct proc *p, const struct pnode *n, uint32_t flags)
{
	struct proc *q = visible_proc(p->k, n->pid);
	if (!q || !q->alive)
		return -ENOENT;
	struct inode *i = NULL;
	if (n->kind == PK_EXE) {
		if (flags & (OPEN_WRITE | OPEN_TRUNC))
			return -ETXTBSY;
		int err = 0, fd = proc_exe_open(q);   /* the file vetted at exec, never its name again */
		if (fd < 0)
			return -ENOENT;
		if (!(i = inode_of_host_fd(p->k, fd, q->exe, false, &err)))
			return err;
	} else {
		struct open_file *t = fd_get(q, n->fd);
		if (!t)
			return -ENOENT;
		if (!t->inode) {
			t->refcount++;
			int slot = fd_install(p, t, 0);
			if (slot < 0)
				t->refcount--;
			return slot;
		}
		if ((flags & OPEN_WRITE) && !(t->flags & OPEN_WRITE) && !t->inode->host_writable)
			return -EACCES;
		i = t->inode;
	}
	return fd_install_inode(p, i, flags & ~(OPEN_CREATE | OPEN_EXCL));
}

/* /proc/self and /proc/thread-self followed: the directory they name. */
static void follow_self(struct pnode *n)
{
	if (n->kind == PK_SELF)
		n->kind = PK_PID;
	else if (n->kind == PK_THREAD_SELF)
		n->kind = PK_TID;
}

int procfs_open(struct proc *p, const char *path, uint32_t flags)
{
	struct pnode n;
	int rc = resolve(p, path, &n);
	if (rc)
		return rc;
	follow_self(&n);
	if (n.kind == PK_EXE || n.kind == PK_FD)
		return open_link_target(p, &n, flags);
	if (is_link(n.kind))
		return -ENOENT;   /* cwd: a directory of the sandbox, not opened through here */
	if ((flags & (OPEN_WRITE | OPEN_CREATE | OPEN_TRUNC)) && n.kind != PK_COMM)   /* comm is 0644 */
		return is_dir(n.kind) ? -EISDIR : -EACCES;
	if ((flags & OPEN_DIRECTORY) && !is_dir(n.kind))
		return -ENOTDIR;
	struct procfs_file *pf = calloc(1, sizeof *pf);
	struct open_file *of = calloc(1, sizeof *of);
	if (!pf || !of) {
		free(pf);
		free(of);
		return -ENOMEM;
	}
	pf->n = n;
	snprintf(pf->path, sizeof pf->path, "%s", path);
	*of = (struct open_file){.proc = pf, .host_fd = -1, .flags = flags, .refcount = 1};
	int slot = fd_install(p, of, 0);
	if (slot < 0)
		open_file_put(p->k, of);
	return slot;
}

void procfs_release(struct procfs_file *pf)
{
	free(pf->text);
	free(pf);
}


/* comm_write: a thread of the writer's own process takes the first 15
 * bytes as its name (a newline too, as Linux keeps it); the whole count is
 * taken. Another process's: EINVAL. */
int64_t procfs_write(struct proc *p, struct open_file *of, const void *buf, uint64_t len)
{
	struct procfs_file *pf = of->proc;
	if (pf->n.kind != PK_COMM)
		return -EINVAL;
	struct proc *q = visible_proc(p->k, pf->n.pid);
	struct thread *t = !q ? NULL : pf->n.tid ? task_of(q, pf->n.tid) : proc_leader(q);
	if (!t)
		return -ESRCH;
	if (q != p)
		return -EINVAL;   /* not same_thread_group */
	char name[16] = {0};
	memcpy(name, buf, len < sizeof name - 1 ? len : sizeof name - 1);
	thread_set_comm(t, name);
	return (int64_t)len;
}

int64_t procfs_read(struct proc *p, struct open_file *of, void *buf, uint64_t len, uint64_t off)
{
	struct procfs_file *pf = of->proc;
	if (is_dir(pf->n.kind))
		return -EISDIR;
	if (pf->n.kind == PK_PAGEMAP) {
		struct proc *q = visible_proc(p->k, pf->n.pid);
		return q ? read_pagemap(p->k, q, buf, len, off) : 0;
	}
	if (off == 0 || !pf->text) {   /* seq_file: a read from the start makes the text again */
		struct text t = {0};
		generate(p, &pf->n, &t);
		free(pf->text);
		pf->text = t.s;
		pf->len = t.len;
	}
	if (off >= pf->len)
		return 0;
	uint64_t n = pf->len - off < len ? pf->len - off : len;
	memcpy(buf, pf->text + off, n);
	return (int64_t)n;
}

static void fill_stat(const struct pnode *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = makedev(0, 21);
	st->st_ino = (uint64_t)(n->tid ? n->tid : n->pid) << 8 | (uint64_t)n->kind << 1 | 1;
	st->st_nlink = is_dir(n->kind) ? 2 : 1;
	st->st_mode = is_dir(n->kind) ? S_IFDIR | 0555 : is_link(n->kind) ? S_IFLNK | 0777
				      : n->kind == PK_PAGEMAP || n->kind == PK_ENVIRON ? S_IFREG | 0400
				      : n->kind == PK_COMM ? S_IFREG | 0644
				      : S_IFREG | 0444;
	st->st_blksize = 1024;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = (time_t)EPOCH_SECONDS;
}

int procfs_stat(struct proc *p, const char *path, struct stat *st, bool nofollow)
{
	struct pnode n;
	int rc = resolve(p, path, &n);
	if (rc)
		return rc;
	if (!nofollow)
		follow_self(&n);
	fill_stat(&n, st);
	return 0;
}

void procfs_fstat(const struct procfs_file *pf, struct stat *st) { fill_stat(&pf->n, st); }

/* A host path as the guest names it: inside the sandbox root, the path
 * from that root; outside it (the program the user gave `mmusim run`,
 * which argv[0] already shows), as it is. */
static int guest_view(struct kernel *k, const char *host, char *out, size_t cap)
{
	char *root = realpath(k->svc->root ? k->svc->root : ".", NULL);
	size_t n = root ? strlen(root) : 0;
	int len;
	if (root && n > 1 && !strncmp(host, root, n) && host[n] == '/')
		len = snprintf(out, cap, "%s", host + n);
	else
		len = snprintf(out, cap, "%s", host);
	free(root);
	return len;
}

int procfs_readlink(struct proc *p, const char *path, char *out, size_t cap)
{
	struct pnode n;
	int rc = resolve(p, path, &n);
	if (rc)
		return rc;
	struct proc *q = visible_proc(p->k, n.pid);
	switch (n.kind) {
	case PK_SELF: return snprintf(out, cap, "%d", p->pid);
	case PK_THREAD_SELF: return snprintf(out, cap, "%d/task/%d", p->pid, p->thread->tid);
	case PK_EXE: return q && q->exe ? guest_view(p->k, q->exe, out, cap) : -ENOENT;
	case PK_CWD: {
		if (!q || !q->alive)
			return -ENOENT;   /* a zombie has none */
		int len = proc_getcwd(q, out, cap);
		return len < 0 ? len : len - 1;
	}
	case PK_FD: {
		struct open_file *of = q ? fd_get(q, n.fd) : NULL;
		if (!of)
			return -ENOENT;
		if (of->inode) {   /* named by its first open; a relative name from the working directory */
			const char *name = inode_name(of->inode);
			if (name[0] == '/')
				return snprintf(out, cap, "%s", name);
			int len = procfs_readlink(p, "/proc/self/cwd", out, cap);
			if (len < 0)
				return len;
			return snprintf(out + len, cap - (size_t)len, "%s%s", len > 1 ? "/" : "", name) + len;
		}
		if (of->pipe)
			return snprintf(out, cap, "pipe:[%d]", n.fd);
		if (of->proc)
			return snprintf(out, cap, "%s", of->proc->path);
		if (of->epoll)
			return snprintf(out, cap, "anon_inode:[eventpoll]");
		if (of->dir)
			return snprintf(out, cap, "/");   /* mmusim: the host directory's guest path is not kept */
		return snprintf(out, cap, "/dev/pts/0");
	}
	default: return -EINVAL;
	}
}

/* The i-th smallest pid /proc shows (proc_pid_readdir goes up by number,
 * next_tgid), or -1: pids are not in order in the table once they went
 * round pid_max. */
static int nth_pid(const struct kernel *k, uint64_t i)
{
	int below = 0;   /* the pid given last time round: the next is the smallest above it */
	for (uint64_t n = 0;; n++) {
		int next = -1;
		for (size_t j = 0; j < k->svc->nprocs; j++) {
			const struct proc *q = k->svc->procs[j];
			if (q->pid > below && (next < 0 || q->pid < next) && (q->alive || !q->reaped))   /* visible_proc's rule */
				next = q->pid;
		}
		if (next < 0 || n == i)
			return next;
		below = next;
	}
}

/* getdents64 of a /proc directory: of->pos counts the entries given. */
int64_t procfs_getdents(struct proc *p, struct open_file *of, uint8_t *buf, uint64_t count)
{
	struct procfs_file *pf = of->proc;
	if (!is_dir(pf->n.kind))
		return -ENOTDIR;
	struct kernel *k = p->k;
	uint64_t used = 0;
	for (;; of->pos++) {
		char name[32];
		unsigned type = 4;   /* DT_DIR */
		uint64_t i = of->pos;
		if (i < 2) {
			snprintf(name, sizeof name, "%s", i ? ".." : ".");
		} else {
			i -= 2;
			const struct entry *e = NULL;
			size_t ne = 0;
			if (pf->n.kind == PK_ROOT) {
				e = root_entries;
				ne = N(root_entries);
			} else if (pf->n.kind == PK_PID || pf->n.kind == PK_TID) {
				e = pf->n.kind == PK_PID ? pid_entries : TID_ENTRIES;
				ne = pf->n.kind == PK_PID ? N(pid_entries) : N_TID_ENTRIES;
			} else if (pf->n.kind == PK_VMDIR) {
				e = vm_entries;
				ne = N(vm_entries);
			} else if (pf->n.kind == PK_KERNELDIR) {
				e = kernel_entries;
				ne = N(kernel_entries);
			} else if (pf->n.kind == PK_SYSDIR) {
				e = sys_entries;
				ne = N(sys_entries);
			}
			if (i < ne) {
				snprintf(name, sizeof name, "%s", e[i].name);
				type = is_dir(e[i].kind) ? 4 : is_link(e[i].kind) ? 10 : 8;
				goto emit;
			}
			i -= ne;
			/* then the processes (root) or descriptors (fd/) by number */
			int found = -1;
			if (pf->n.kind == PK_ROOT) {
				found = nth_pid(k, i);
			} else if (pf->n.kind == PK_FDDIR) {
				struct proc *q = visible_proc(k, pf->n.pid);
				uint64_t seen = 0;
				for (int fd = 0; q && fd < q->nfd && found < 0; fd++)
					if (q->fd[fd] && seen++ == i)
						found = fd;
				type = 10;
			} else if (pf->n.kind == PK_TASKDIR) {   /* the thread list's order: the leader, then oldest first */
				struct proc *q = visible_proc(k, pf->n.pid);
				uint64_t seen = 0;
				for (size_t t = 0; q && t < k->svc->nthreads && found < 0; t++)
					if (thread_listed(q, k->svc->threads[t]) && seen++ == i)
						found = k->svc->threads[t]->tid;
			}
			if (found < 0)
				break;
			snprintf(name, sizeof name, "%d", found);
		}
	emit:;
		size_t nl = strlen(name);
		uint16_t reclen = (uint16_t)((19 + nl + 1 + 7) & ~7u);
		if (used + reclen > count) {
			if (!used)
				return -EINVAL;
			break;
		}
		uint64_t ino = (uint64_t)of->pos + 1000, next = of->pos + 1;
		memset(buf + used, 0, reclen);
		memcpy(buf + used, &ino, 8);
		memcpy(buf + used + 8, &next, 8);
		memcpy(buf + used + 16, &reclen, 2);
		buf[used + 18] = (uint8_t)type;
		memcpy(buf + used + 19, name, nl);
		used += reclen;
	}
	return (int64_t)used;
}
