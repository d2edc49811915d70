/* Files and the page cache.
 *
 * An inode per host file (by device and inode number), however often and by
 * whom it is opened, so all mappings of a file share one page cache: a hash
 * of page index -> frame. A miss reads the page from the host file (a major
 * fault). Dirty tracking for shared mappings is Linux's write-notify: a
 * page is mapped writable only by a write fault, which marks it dirty;
 * writeback write-protects every mapping again (page_mkclean) and writes the
 * page to the host file, so the next write faults and dirties it anew. */
#include "os/mm/mm.h"

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

static bool has_dirty(struct kernel *k, const struct inode *i)
{
	for (uint64_t s = 0; s < i->pc_cap && i->pc_count; s++)
		if (i->pc_index[s] != PC_EMPTY && (pfn_page(k, i->pc_pfn[s])->flags & PG_DIRTY))
			return true;
	return false;
}

/* A file whose names are all gone frees its blocks with its last
 * descriptor, ours: the disk bound gets them back then. */
static void release_host_fd(struct kernel *k, struct inode *i)
{
	struct stat st;
	if (i->host_fd >= 0 && fstat(i->host_fd, &st) == 0 && st.st_nlink == 0)
		disk_charge(k, -(int64_t)st.st_blocks * 512);
	if (i->host_fd >= 0)
		close(i->host_fd);
	i->host_fd = -1;
	i->host_writable = false;
}

/* Idle inodes (no open file, no mapping) that still hold dirty pages keep
 * their host descriptor until writeback; past this many, they are all
 * written back and let go, so the host's descriptors track the guest's. */
#define IDLE_DIRTY_MAX 64

static void flush_idle(struct kernel *k)
{
	for (struct inode *i = k->inodes; i; i = i->next)
		if (!i->refcount && i->host_fd >= 0) {
			writeback_range(k, i, 0, UINT64_MAX - 1);
			release_host_fd(k, i);
		}
	k->idle_dirty = 0;
}

/* As Linux's iput of an inode with no name left: its pages (dirty ones
 * included: nobody can read them again) and its host descriptor go, and
 * with them its blocks; and it leaves the lookup, for the host gives its
 * device and inode number to the next file made (whose pages these are
 * not). Its place in the inode table stays. */
static void inode_evict(struct kernel *k, struct inode *i)
{
	pagecache_truncate(k, i, 0);
	i->size = 0;
	release_host_fd(k, i);
	for (struct inode **at = &k->inodes; *at; at = &(*at)->next)
		if (*at == i) {
			*at = i->next;
			break;
		}
	i->next = NULL;
}

/* The last user went: the page cache stays (as on Linux, a reopen finds it
 * warm), the host descriptor goes once nothing dirty needs it; a file
 * whose names are all gone goes whole. */
void inode_put(struct kernel *k, struct inode *i)
{
	if (--i->refcount)
		return;
	struct stat st;
	if (i->unlinked && i->host_fd >= 0 && !fstat(i->host_fd, &st) && st.st_nlink)
		i->unlinked = false;   /* given a name again (linkat of /proc/self/fd/N) */
	if (i->unlinked)
		inode_evict(k, i);
	else if (!has_dirty(k, i))
		release_host_fd(k, i);
	else if (++k->idle_dirty > IDLE_DIRTY_MAX)
		flush_idle(k);
}

/* Its last name went (the host's nlink is 0): it goes now, or at its last
 * user's close or munmap. */
void inode_unlinked(struct kernel *k, struct inode *i)
{
	i->unlinked = true;
	if (!i->refcount)
		inode_evict(k, i);
}

uint64_t inode_pages(const struct kernel *k, const struct inode *i)
{
	return (i->size + k->page - 1) >> k->fmt->page_shift;
}


static void cache_event(struct kernel *k, enum os_event_kind kind, struct inode *i, uint64_t index, uint64_t pfn)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = current_pid(k)};
	ev.u.cache.pa = pfn_pa(k, pfn);
	ev.u.cache.index = index;
	ev.u.cache.file = i->name;
	emit(k, &ev);
}

/* A page of the file read into a new cache frame (on the LRU, with the
 * cache's reference only); NO_PFN when no frame can be had. */
static uint64_t pagecache_read(struct kernel *k, struct inode *i, uint64_t index)
{
	uint64_t pfn = frame_alloc(k, 0, USE_PAGECACHE);
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
	return pfn;
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
	if ((pfn = pagecache_read(k, i, index)) == NO_PFN)
		return NO_PFN;
	mmu_charge(k->mmu, COST_BACKING_READ, 1);
	k->st.pagecache_misses++;
	*major = true;
	cache_event(k, EV_PAGECACHE_MISS, i, index, pfn);
	frame_get(k, pfn);               /* the caller's reference; the cache keeps its own */
	return pfn;
}

/* ---- writeback -------------------------------------------------------------------- */
/* page_mkclean: every writable mapping of the page becomes read-only again. */
static void mkclean_one(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
			void *ctx)
{
	(void)ctx;
	struct pte d = pte_decode(k->fmt, level, orig.raw);
	if (!d.write && !d.dbm)
		return;
	d.write = d.dbm = d.dirty = false;
	pte_write(k, mm, va, level, at, pte_make(k, level, &d), true);
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
		if (n <= 0) {   /* the host's disk is full, or the file too large: fsync says so */
			i->wb_err = n < 0 ? -errno : -ENOSPC;
			break;
		}
		done += (uint64_t)n;
	}
	pg->flags &= (uint8_t)~(PG_DIRTY | PG_WRITEBACK);
	k->st.writebacks++;
	cache_event(k, EV_WRITEBACK, i, index, pfn);
}

static void writeback_pages(struct kernel *k, struct inode *i, uint64_t first, uint64_t last)
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

/* Blocks a writeback allocates (holes of a sparse file filled through a
 * mapping, or by a write() far from the bound, which reserves nothing)
 * count against the disk bound once there. Writeback itself is never
 * refused by the bound: data the guest was told was written is kept, so
 * the bound may be passed by at most the dirty pages of such holes. */
void writeback_range(struct kernel *k, struct inode *i, uint64_t first, uint64_t last)
{
	if (!i->pc_count)
		return;
	int64_t before = i->host_writable ? host_allocated(i->host_fd) : 0;
	writeback_pages(k, i, first, last);
	if (i->host_writable)
		disk_charge(k, host_allocated(i->host_fd) - before);
}

void os_sync(struct kernel *k)
{
	for (struct inode *i = k->inodes; i; i = i->next)
		writeback_range(k, i, 0, UINT64_MAX - 1);
}

/* Kernel teardown: everything written back, the page cache dropped. */
void mm_kernel_release(struct kernel *k)
{
	os_sync(k);
	for (uint32_t n = 0; n < k->ninodes; n++) {   /* the table has them all, evicted ones too */
		struct inode *i = k->inode_table[n];
		release_host_fd(k, i);
		free(i->pc_index);
		free(i->pc_pfn);
		free(i);
	}
	k->inodes = NULL;
	free(k->inode_table);
	k->inode_table = NULL;
	k->ninodes = k->inode_cap = 0;
}

/* ---- truncation and inodes ---------------------------------------------------- */
/* Drops cached pages at or beyond `pages` (a truncation), unmapping them
 * from every process first. */
static void unmap_one(struct kernel *k, struct mm *mm, uint64_t va, int level, ptep_t at, pte_t orig,
		      void *ctx)
{
	(void)orig;
	uint64_t pfn = *(const uint64_t *)ctx;
	pte_write(k, mm, va, level, at, (pte_t){0}, true);
	pfn_page(k, pfn)->mapcount--;
	update_hiwater_rss(mm);
	mm->rss_file--;
	frame_put(k, pfn);
}

void pagecache_truncate(struct kernel *k, struct inode *i, uint64_t pages)
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

struct inode *inode_of_host_fd(struct kernel *k, int fd, const char *path, bool want_write, int *err)
{
	struct stat st;
	if (fstat(fd, &st)) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	struct inode *i = inode_lookup(k, &st);
	if (i) {
		if (i->host_fd < 0) {   /* let go at its last close: this one serves */
			i->host_fd = fd;
			i->host_writable = want_write;
		} else if (want_write && !i->host_writable) {
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

/* truncate / ftruncate / O_TRUNC: pages past the new end leave the cache
 * (and every mapping), the host file follows. */
int os_truncate(struct kernel *k, struct inode *i, uint64_t len)
{
	if (!i->host_writable)
		return -EACCES;
	op_file(k, current_pid(k), OP_TRUNCATE, i, 0, 0, len);   /* for recording (ops.c) */
	pagecache_truncate(k, i, (len + k->page - 1) >> k->fmt->page_shift);
	int64_t before = host_allocated(i->host_fd);
	int rc = ftruncate(i->host_fd, (off_t)len) ? -errno : 0;
	disk_charge(k, host_allocated(i->host_fd) - before);   /* freed blocks come back */
	if (rc)
		return rc;
	i->size = len;
	return 0;
}

/* read() and write() go through the page cache, as filemap_read and
 * generic_perform_write do: a read brings pages in, a write dirties them and
 * writeback later puts them in the file. So a mapping and read()/write()
 * always agree. */
/* Room on the host for a write: what the host cannot hold (ENOSPC, EFBIG)
 * is the write's error now, as on a real file system, not a writeback that
 * fails after the guest was told success. The disk bound first: a write
 * whose new blocks do not all fit is cut at the last block that does (0:
 * ENOSPC), as generic_perform_write stops at the first block it cannot
 * have. Blocks are reserved for a write that extends the file, or one
 * that fills holes when the bound is near (else writeback counts them). */
int64_t pagecache_reserve(struct kernel *k, struct inode *i, uint64_t off, uint64_t len)
{
	if (!len || i->host_fd < 0)
		return (int64_t)len;
	if (off + len > (uint64_t)INT64_MAX)
		return -EFBIG;
	uint64_t fit = disk_fit(k, i->host_fd, off, len);
	if (!fit) {
		disk_full_note(k);
		return -ENOSPC;
	}
	/* Inside the file, with room for every block it spans: nothing to reserve. */
	if (off + len <= i->size && disk_room(k) >= len + 2 * k->page)
		return (int64_t)len;
	int64_t before = host_allocated(i->host_fd);
	int rc = posix_fallocate(i->host_fd, (off_t)off, (off_t)fit);
	disk_charge(k, host_allocated(i->host_fd) - before);
	if (rc && rc != EOPNOTSUPP && rc != EINVAL)   /* a file system without it: writeback tells */
		return -rc;
	return (int64_t)fit;
}

int pagecache_take_wb_err(struct inode *i)
{
	int e = i->wb_err;
	i->wb_err = 0;
	return e;
}

int64_t pagecache_rw(struct kernel *k, struct inode *i, void *buf, uint64_t len, uint64_t off, bool write)
{
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

void op_file(struct kernel *k, int pid, enum os_op_kind kind, const struct inode *i, uint32_t open_flags,
	     uint64_t offset, uint64_t len)
{
	if (!op_hooked(k))
		return;
	struct os_op op = {.kind = kind};
	op.file.inode = i;
	op.file.size = i->size;
	op.file.open_flags = open_flags;
	op.file.offset = offset;
	op.file.len = len;
	op_emit(k, pid, &op);
}

const char *inode_name(const struct inode *ino)
{
	return ino->name;
}

