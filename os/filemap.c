/* Files and the page cache.
 *
 * An inode per host file (by device and inode number), however often and by
 * whom it is opened, so all mappings of a file share one page cache: a hash
 * of page index -> frame. A miss reads the page from the host file (a major
 * fault). Dirty tracking for shared mappings is Linux's write-notify: a
 * page is mapped writable only by a write fault, which marks it dirty;
 * writeback write-protects every mapping again (page_mkclean) and writes the
 * page to the host file, so the next write faults and dirties it anew. */
#include "os/internal.h"
#include "os/sandbox.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PC_EMPTY UINT64_MAX

/* ---- the page-cache hash ---------------------------------------------------- */
static uint64_t pc_slot(const struct inode *i, uint64_t index)
{
	uint64_t h = index * 0x9E3779B97F4A7C15ull;
	return (h ^ (h >> 29)) & (i->pc_cap - 1);
}

uint64_t pagecache_lookup(const struct inode *i, uint64_t index)
{
	if (!i->pc_count)
		return NO_PFN;
	for (uint64_t s = pc_slot(i, index);; s = (s + 1) & (i->pc_cap - 1)) {
		if (i->pc_index[s] == index)
			return i->pc_pfn[s];
		if (i->pc_index[s] == PC_EMPTY)
			return NO_PFN;
	}
}

static bool pc_insert(struct inode *i, uint64_t index, uint64_t pfn);

static bool pc_grow(struct inode *i)
{
	uint64_t cap = i->pc_cap ? i->pc_cap * 2 : 64;
	uint64_t *oi = i->pc_index, oc = i->pc_cap;
	uint32_t *op = i->pc_pfn;
	uint64_t *ni = malloc(cap * sizeof *ni);
	uint32_t *np = malloc(cap * sizeof *np);
	if (!ni || !np) {
		free(ni);
		free(np);
		return false;
	}
	for (uint64_t s = 0; s < cap; s++)
		ni[s] = PC_EMPTY;
	i->pc_index = ni;
	i->pc_pfn = np;
	i->pc_cap = cap;
	i->pc_count = 0;
	for (uint64_t s = 0; s < oc; s++)
		if (oi[s] != PC_EMPTY)
			pc_insert(i, oi[s], op[s]);
	free(oi);
	free(op);
	return true;
}

static bool pc_insert(struct inode *i, uint64_t index, uint64_t pfn)
{
	if ((i->pc_count + 1) * 10 > i->pc_cap * 7 && !pc_grow(i))
		return false;
	uint64_t s = pc_slot(i, index);
	while (i->pc_index[s] != PC_EMPTY)
		s = (s + 1) & (i->pc_cap - 1);
	i->pc_index[s] = index;
	i->pc_pfn[s] = (uint32_t)pfn;
	i->pc_count++;
	return true;
}

/* Linear probing's deletion: shift later entries of the run back. */
static void pc_delete(struct inode *i, uint64_t index)
{
	uint64_t mask = i->pc_cap - 1, s = pc_slot(i, index);
	while (i->pc_index[s] != index) {
		if (i->pc_index[s] == PC_EMPTY)
			return;
		s = (s + 1) & mask;
	}
	i->pc_index[s] = PC_EMPTY;
	i->pc_count--;
	for (uint64_t n = (s + 1) & mask; i->pc_index[n] != PC_EMPTY; n = (n + 1) & mask) {
		uint64_t want = pc_slot(i, i->pc_index[n]);
		/* Move n back to s if its home is not in (s, n]. */
		bool stays = s <= n ? (want > s && want <= n) : (want > s || want <= n);
		if (!stays) {
			i->pc_index[s] = i->pc_index[n];
			i->pc_pfn[s] = i->pc_pfn[n];
			i->pc_index[n] = PC_EMPTY;
			s = n;
		}
	}
}

void pagecache_remove(struct kernel *k, struct inode *i, uint64_t index)
{
	(void)k;
	pc_delete(i, index);
}

/* ---- inodes ------------------------------------------------------------------ */
void inode_get(struct inode *i) { i->refcount++; }
void inode_put(struct kernel *k, struct inode *i)
{
	(void)k;   /* the page cache outlives the last close, as on Linux */
	i->refcount--;
}

uint64_t inode_pages(const struct kernel *k, const struct inode *i)
{
	return (i->size + k->page - 1) >> k->fmt->page_shift;
}

bool vma_is_file(const struct vma *v) { return v->file != NULL; }

static void cache_event(struct kernel *k, enum os_event_kind kind, struct inode *i, uint64_t index, uint64_t pfn)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = k->current ? k->current->pid : 0};
	ev.u.cache.pa = pfn_pa(k, pfn);
	ev.u.cache.index = index;
	ev.u.cache.file = i->name;
	emit(k, &ev);
}

uint64_t pagecache_get(struct kernel *k, struct inode *i, uint64_t index, bool *major)
{
	mmu_charge(k->mmu, COST_PAGECACHE, 1);
	uint64_t pfn = pagecache_lookup(i, index);
	if (pfn != NO_PFN) {
		pfn_page(k, pfn)->flags |= PG_REFERENCED;
		frame_get(k, pfn);
		cache_event(k, EV_PAGECACHE_HIT, i, index, pfn);
		return pfn;
	}
	pfn = frame_alloc(k, 0, USE_PAGECACHE);
	if (pfn == NO_PFN)
		return NO_PFN;
	struct page *pg = pfn_page(k, pfn);
	uint8_t *data = physmem_ptr(k->pm, pfn_pa(k, pfn), k->page);
	pg->flags = PG_LOCKED;           /* read in progress */
	memset(data, 0, k->page);        /* past end of file reads as zeros */
	uint64_t off = index << k->fmt->page_shift, want = k->page;
	if (off < i->size && i->size - off < want)
		want = i->size - off;
	for (uint64_t done = 0; off < i->size && done < want;) {
		ssize_t n = pread(i->host_fd, data + done, want - done, (off_t)(off + done));
		if (n <= 0)
			break;             /* a short file reads as zeros, as a truncated one would */
		done += (uint64_t)n;
	}
	pg->flags = PG_UPTODATE;
	pg->mapping = i->id;
	pg->index = index;
	if (!pc_insert(i, index, pfn)) {
		frame_put(k, pfn);
		return NO_PFN;
	}
	lru_add(k, pfn);
	mmu_charge(k->mmu, COST_BACKING_READ, 1);
	k->st.pagecache_misses++;
	*major = true;
	cache_event(k, EV_PAGECACHE_MISS, i, index, pfn);
	frame_get(k, pfn);               /* the caller's reference; the cache keeps its own */
	return pfn;
}

/* ---- reverse mapping ------------------------------------------------------------ */
static void rmap_check(struct kernel *k, struct proc *p, uint64_t va, uint64_t pfn, rmap_fn fn, void *ctx)
{
	int level;
	uint64_t entry = leaf_lookup(k, &p->mm, va, &level);
	if (entry == PT_NO_MEMORY)
		return;
	uint64_t raw = physmem_read64(k->pm, entry);
	struct pte d = pte_decode(k->fmt, level, pte_present_view(k->fmt, raw));
	if (d.kind != PTE_INVALID && pa_pfn(k, d.oa) == pfn)
		fn(k, p, va & ~((1ull << pt_leaf_shift(k->fmt, level)) - 1), level, entry, raw, ctx);
}

void rmap_walk(struct kernel *k, uint64_t pfn, rmap_fn fn, void *ctx)
{
	struct page *pg = pfn_page(k, pfn);
	unsigned shift = k->fmt->page_shift;
	for (size_t n = 0; n < k->nprocs; n++) {
		struct proc *p = k->procs[n];
		if (!p->alive)
			continue;
		if (!pg->mapping) {   /* anonymous: found at the address it was first mapped */
			uint64_t va = pg->index << shift;
			struct vma *v = vma_find(&p->mm, va);
			if (v && v->start <= va && !v->file)
				rmap_check(k, p, va, pfn, fn, ctx);
			continue;
		}
		for (size_t j = 0; j < p->mm.nvma; j++) {
			const struct vma *v = &p->mm.vma[j];
			uint64_t first = v->offset >> shift, count = (v->end - v->start) >> shift;
			if (v->file && v->file == page_inode(k, pg) && pg->index >= first && pg->index < first + count)
				rmap_check(k, p, v->start + ((pg->index - first) << shift), pfn, fn, ctx);
		}
	}
}

/* ---- writeback -------------------------------------------------------------------- */
/* page_mkclean: every writable mapping of the page becomes read-only again. */
static void mkclean_one(struct kernel *k, struct proc *p, uint64_t va, int level, uint64_t entry, uint64_t raw,
			void *ctx)
{
	(void)ctx;
	struct pte d = pte_decode(k->fmt, level, raw);
	if (!d.write && !d.dbm)
		return;
	d.write = d.dbm = d.dirty = false;
	pte_write(k, &p->mm, va, level, entry, pte_encode(k->fmt, level, &d), true);
}

static void writeback_page(struct kernel *k, struct inode *i, uint64_t index, uint64_t pfn)
{
	struct page *pg = pfn_page(k, pfn);
	if (!(pg->flags & PG_DIRTY))
		return;
	rmap_walk(k, pfn, mkclean_one, NULL);
	pg->flags |= PG_WRITEBACK;
	uint64_t off = index << k->fmt->page_shift, len = k->page;
	if (off >= i->size)
		len = 0;
	else if (i->size - off < len)
		len = i->size - off;
	const uint8_t *data = physmem_ptr(k->pm, pfn_pa(k, pfn), k->page);
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pwrite(i->host_fd, data + done, len - done, (off_t)(off + done));
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	pg->flags &= (uint8_t)~(PG_DIRTY | PG_WRITEBACK);
	k->st.writebacks++;
	cache_event(k, EV_WRITEBACK, i, index, pfn);
}

void writeback_range(struct kernel *k, struct inode *i, uint64_t first, uint64_t last)
{
	if (last - first >= i->pc_count) {
		/* Fewer cached pages than indices: go by the cache. */
		for (uint64_t s = 0; s < i->pc_cap; s++)
			if (i->pc_index[s] != PC_EMPTY && i->pc_index[s] >= first && i->pc_index[s] <= last)
				writeback_page(k, i, i->pc_index[s], i->pc_pfn[s]);
		return;
	}
	for (uint64_t idx = first; idx <= last; idx++) {
		uint64_t pfn = pagecache_lookup(i, idx);
		if (pfn != NO_PFN)
			writeback_page(k, i, idx, pfn);
	}
}

void os_sync(struct kernel *k)
{
	for (struct inode *i = k->inodes; i; i = i->next)
		writeback_range(k, i, 0, UINT64_MAX - 1);
}

void release_file_pages(struct kernel *k)
{
	os_sync(k);
	while (k->inodes) {
		struct inode *i = k->inodes;
		k->inodes = i->next;
		close(i->host_fd);
		free(i->pc_index);
		free(i->pc_pfn);
		free(i);
	}
	free(k->inode_table);
	k->inode_table = NULL;
	k->ninodes = k->inode_cap = 0;
	if (k->sb)
		sandbox_close(k->sb);
	k->sb = NULL;
}

/* ---- opening files ------------------------------------------------------------------ */
struct sandbox *sandbox_of(struct kernel *k, int *err)
{
	if (!k->sb) {
		char msg[256];
		k->sb = sandbox_open(k->root ? k->root : ".", msg, sizeof msg);
		if (!k->sb)
			*err = -EACCES;
	}
	return k->sb;
}

/* Drops cached pages at or beyond `pages` (a truncation), unmapping them
 * from every process first. */
static void unmap_one(struct kernel *k, struct proc *p, uint64_t va, int level, uint64_t entry, uint64_t raw,
		      void *ctx)
{
	(void)raw;
	uint64_t pfn = *(const uint64_t *)ctx;
	pte_write(k, &p->mm, va, level, entry, 0, true);
	pfn_page(k, pfn)->mapcount--;
	p->mm.rss_file--;
	frame_put(k, pfn);
}

static void truncate_cache(struct kernel *k, struct inode *i, uint64_t pages)
{
	for (uint64_t s = 0; s < i->pc_cap; s++) {
		if (i->pc_index[s] == PC_EMPTY || i->pc_index[s] < pages)
			continue;
		uint64_t pfn = i->pc_pfn[s];
		rmap_walk(k, pfn, unmap_one, &pfn);
		pc_delete(i, i->pc_index[s]);
		frame_put(k, pfn);
		s--;   /* deletion may have moved a later entry into s */
	}
}

struct inode *inode_lookup(const struct kernel *k, const struct stat *st)
{
	for (struct inode *i = k->inodes; i; i = i->next)
		if (i->dev == (uint64_t)st->st_dev && i->ino == (uint64_t)st->st_ino)
			return i;
	return NULL;
}

static struct inode *inode_for(struct kernel *k, int fd, const char *path, bool want_write, int *err)
{
	struct stat st;
	if (fstat(fd, &st)) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	struct inode *i = inode_lookup(k, &st);
	if (i) {
		if (want_write && !i->host_writable) {
			close(i->host_fd);
			i->host_fd = fd;
			i->host_writable = true;
		} else {
			close(fd);
		}
		/* The kernel's size stands: what was written through the page
		 * cache is not in the host file until writeback. */
		return i;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*err = -ENODEV;    /* only regular files have pages */
		return NULL;
	}
	i = calloc(1, sizeof *i);
	if (!i) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	if (k->ninodes == k->inode_cap) {
		uint32_t cap = k->inode_cap ? 2 * k->inode_cap : 16;
		struct inode **t = realloc(k->inode_table, cap * sizeof *t);
		if (!t) {
			free(i);
			close(fd);
			*err = -ENOMEM;
			return NULL;
		}
		k->inode_table = t;
		k->inode_cap = cap;
	}
	k->inode_table[k->ninodes++] = i;
	i->id = k->ninodes;
	i->dev = (uint64_t)st.st_dev;
	i->ino = (uint64_t)st.st_ino;
	i->host_fd = fd;
	i->host_writable = want_write;
	i->size = (uint64_t)st.st_size;
	snprintf(i->name, sizeof i->name, "%s", path);
	i->next = k->inodes;
	k->inodes = i;
	return i;
}

/* A new open file of inode i on p's lowest free descriptor. */
static int install_inode(struct proc *p, struct inode *i, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of)
		return -ENOMEM;
	*of = (struct open_file){.inode = i, .host_fd = -1, .flags = flags, .refcount = 1};
	inode_get(i);
	int slot = fd_install(p, of, 0);
	if (slot < 0)
		open_file_put(p->k, of);
	return slot;
}

/* A descriptor of p for a host descriptor that is not a regular file: a
 * directory (getdents64, a base for *at calls), or a device or FIFO
 * (I/O straight through, like the terminal). */
static int install_special(struct proc *p, int fd, const struct stat *st, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of) {
		close(fd);
		return -ENOMEM;
	}
	if (S_ISDIR(st->st_mode))
		*of = (struct open_file){.dir = true, .dir_fd = fd, .host_fd = -1, .flags = flags, .refcount = 1};
	else
		*of = (struct open_file){.host_fd = fd, .own_host_fd = true, .flags = flags, .refcount = 1};
	int slot = fd_install(p, of, 0);
	if (slot < 0)
		open_file_put(p->k, of);
	return slot;
}

/* /proc/self/exe: the running program, wherever it lives (as execve and
 * readlink see it). Read only: Linux refuses writers of a running
 * program (ETXTBSY). */
static int open_own_program(struct proc *p, uint32_t flags)
{
	if (flags & (OPEN_WRITE | OPEN_TRUNC))
		return -ETXTBSY;
	int err = 0, fd = open(p->exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct inode *i = inode_for(p->k, fd, p->exe, false, &err);
	return i ? install_inode(p, i, flags) : err;
}

int os_openat(struct proc *p, int dirfd, const char *path, uint32_t flags, unsigned mode)
{
	struct kernel *k = p->k;
	if (!strcmp(path, "/proc/self/exe") && p->exe)
		return open_own_program(p, flags);
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	int acc = (flags & OPEN_READ) && (flags & OPEN_WRITE) ? O_RDWR : (flags & OPEN_WRITE) ? O_WRONLY : O_RDONLY;
	int extra = (flags & OPEN_NOFOLLOW ? O_NOFOLLOW : 0) | (flags & OPEN_DIRECTORY ? O_DIRECTORY : 0);
	int hflags = acc | extra | (flags & OPEN_CREATE ? O_CREAT : 0) | (flags & OPEN_EXCL ? O_EXCL : 0) | O_CLOEXEC;
	int fd = sandbox_openat(sb, dirfd, path, hflags, mode);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode))
		return install_special(p, fd, &st, flags);
	/* The kernel's own descriptor reads and writes back pages whatever the
	 * guest asked for: open it read-write when the file allows. */
	if (acc != O_RDWR) {
		int rw = sandbox_openat(sb, dirfd, path, O_RDWR | O_CLOEXEC | (extra & O_NOFOLLOW), 0);
		if (rw >= 0) {
			close(fd);
			fd = rw;
			acc = O_RDWR;
		}
	}
	struct inode *i = inode_for(k, fd, path, acc == O_RDWR, &err);
	if (!i)
		return err;
	if (flags & OPEN_TRUNC && (flags & OPEN_WRITE))
		os_truncate(k, i, 0);
	return install_inode(p, i, flags);
}

int os_open(struct proc *p, const char *path, uint32_t flags, unsigned mode)
{
	return os_openat(p, SANDBOX_CWD, path, flags, mode);
}

/* truncate / ftruncate / O_TRUNC: pages past the new end leave the cache
 * (and every mapping), the host file follows. */
int os_truncate(struct kernel *k, struct inode *i, uint64_t len)
{
	if (!i->host_writable)
		return -EACCES;
	op_file(k, k->current, OP_TRUNCATE, i, 0, 0, len);   /* for recording (ops.c) */
	truncate_cache(k, i, (len + k->page - 1) >> k->fmt->page_shift);
	if (ftruncate(i->host_fd, (off_t)len))
		return -errno;
	i->size = len;
	return 0;
}

int fd_install(struct proc *p, struct open_file *of, int lowest)
{
	int slot = lowest;
	while (slot < p->nfd && p->fd[slot])
		slot++;
	if ((uint64_t)slot >= p->rlim[RLIM_NOFILE][0] || slot >= (int)RLIM_NOFILE_MAX)
		return -EMFILE;
	if (slot >= p->nfd) {
		int n = p->nfd ? p->nfd : 16;
		while (n <= slot)
			n *= 2;
		struct open_file **nf = realloc(p->fd, (size_t)n * sizeof *nf);
		if (!nf)
			return -ENOMEM;
		memset(nf + p->nfd, 0, (size_t)(n - p->nfd) * sizeof *nf);
		p->fd = nf;
		p->nfd = n;
	}
	p->fd[slot] = of;
	return slot;
}

int os_attach_host_fd(struct proc *p, int guest_fd, int host_fd, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of)
		return -ENOMEM;
	*of = (struct open_file){.host_fd = host_fd, .flags = flags, .refcount = 1};
	if (guest_fd < p->nfd && p->fd[guest_fd])
		os_close(p, guest_fd);
	int slot = fd_install(p, of, guest_fd);
	if (slot != guest_fd) {
		if (slot >= 0)
			p->fd[slot] = NULL;
		free(of);
		return slot < 0 ? slot : -EBUSY;
	}
	return slot;
}

struct open_file *fd_get(struct proc *p, int fd)
{
	return fd >= 0 && fd < p->nfd ? p->fd[fd] : NULL;
}

void open_file_put(struct kernel *k, struct open_file *of)
{
	if (--of->refcount == 0) {
		if (of->inode)
			inode_put(k, of->inode);
		if (of->pipe)
			pipe_release(of);
		if (of->dir)
			close(of->dir_fd);
		if (of->own_host_fd)
			close(of->host_fd);
		free(of);
	}
}

int os_close(struct proc *p, int fd)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	p->fd[fd] = NULL;
	open_file_put(p->k, of);
	return 0;
}

void fd_table_copy(struct proc *child, const struct proc *parent)
{
	if (!parent->nfd)
		return;
	child->fd = calloc((size_t)parent->nfd, sizeof *child->fd);
	if (!child->fd)
		return;
	child->nfd = parent->nfd;
	for (int i = 0; i < parent->nfd; i++)
		if ((child->fd[i] = parent->fd[i]))
			child->fd[i]->refcount++;
}

void fd_table_close(struct proc *p)
{
	for (int i = 0; i < p->nfd; i++)
		if (p->fd[i])
			open_file_put(p->k, p->fd[i]);
	free(p->fd);
	p->fd = NULL;
	p->nfd = 0;
}

/* A host stream (a terminal, a pipe, a file the guest got as its standard
 * input or output): I/O at the host descriptor's own position, so output
 * appended by the shell stays appended. */
static int64_t host_stream_io(int fd, void *buf, uint64_t len, bool to_host)
{
	ssize_t n = to_host ? write(fd, buf, len) : read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* read() and write() go through the page cache, as filemap_read and
 * generic_perform_write do: a read brings pages in, a write dirties them and
 * writeback later puts them in the file. So a mapping and read()/write()
 * always agree. */
static int64_t file_rw(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off, bool is_write)
{
	bool write = is_write;
	struct kernel *k = p->k;
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!(of->flags & (write ? OPEN_WRITE : OPEN_READ)))
		return -EBADF;
	if (of->pipe)
		return pipe_io(of, buf, len, write);
	if (!of->inode) {   /* a host stream: straight through */
		return host_stream_io(of->host_fd, buf, len, write);
	}
	struct inode *i = of->inode;
	op_file(k, p, write ? OP_PWRITE : OP_PREAD, i, of->flags, off, len);   /* for recording (ops.c) */
	uint64_t done = 0;
	while (done < len) {
		uint64_t pos = off + done, index = pos >> k->fmt->page_shift, in = pos & (k->page - 1);
		uint64_t n = k->page - in < len - done ? k->page - in : len - done;
		if (!write && pos >= i->size)
			break;
		if (!write && i->size - pos < n)
			n = i->size - pos;
		bool major = false;
		uint64_t pfn = pagecache_get(k, i, index, &major);
		if (pfn == NO_PFN)
			return done ? (int64_t)done : -ENOMEM;
		uint8_t *data = physmem_ptr(k->pm, pfn_pa(k, pfn), k->page);
		uint8_t *b = (uint8_t *)buf + done;
		if (write) {
			memcpy(data + in, b, n);
			pfn_page(k, pfn)->flags |= PG_DIRTY;
			if (pos + n > i->size)
				i->size = pos + n;
		} else {
			memcpy(b, data + in, n);
		}
		frame_put(k, pfn);
		done += n;
	}
	return (int64_t)done;
}

int64_t os_pread(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off)
{
	return file_rw(p, fd, buf, len, off, false);
}

int64_t os_pwrite(struct proc *p, int fd, const void *buf, uint64_t len, uint64_t off)
{
	return file_rw(p, fd, (void *)buf, len, off, true);
}

int os_set_root(struct kernel *k, const char *root, char *err, size_t errlen)
{
	struct sandbox *sb = sandbox_open(root, err, errlen);
	if (!sb)
		return -1;
	if (k->sb)
		sandbox_close(k->sb);
	k->sb = sb;
	free(k->root);
	k->root = strdup(root);
	return 0;
}

/* A file as it is on disk before the run: written to the host directly,
 * not through the page cache; a cached copy of an earlier version (and
 * every mapping of its pages) is dropped. */
int os_put_file(struct kernel *k, const char *path, uint64_t size, file_fill_fn fill, void *ctx)
{
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	int fd = sandbox_openat(sb, SANDBOX_CWD, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fd;
	static uint8_t chunk[1 << 16];
	if (!fill && ftruncate(fd, (off_t)size)) {   /* zeros: a sparse file, nothing written */
		close(fd);
		return -EIO;
	}
	for (uint64_t off = 0; fill && off < size;) {
		size_t n = size - off < sizeof chunk ? (size_t)(size - off) : sizeof chunk;
		fill(ctx, off, chunk, n);
		ssize_t w = pwrite(fd, chunk, n, (off_t)off);
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		off += (uint64_t)w;
	}
	struct stat st;
	struct inode *i = fstat(fd, &st) == 0 ? inode_lookup(k, &st) : NULL;
	if (i) {
		truncate_cache(k, i, 0);
		i->size = size;
	}
	close(fd);
	return 0;
}

/* The ELF loader's program file: a host path, not looked up in the sandbox
 * (it is what the user asked mmusim to run), opened read-only as an inode
 * so its segments are file mappings through the page cache. The inode is
 * shared with any later open of the same file by the guest. */
int os_open_host(struct proc *p, const char *host_path, const char *name)
{
	struct kernel *k = p->k;
	int fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
	}
	int err = 0;
	struct inode *i = inode_for(k, fd, name, false, &err);
	if (!i)
		return err;
	return install_inode(p, i, OPEN_READ);
}

const char *inode_name(const struct inode *ino)
{
	return ino->name;
}

/* A program a guest execs: its path resolved in the sandbox like any open,
 * as a host descriptor the loader can open again by /proc/self/fd/N. */
int sandbox_open_exec(struct kernel *k, const char *path)
{
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	return sandbox_openat(sb, SANDBOX_CWD, path, O_RDONLY | O_CLOEXEC, 0);
}
