/* gui/'s reading of an event log (docs/event-log.md) and the viewer's model
 * of the machine rebuilt from it, fault by fault, forwards and backwards:
 * what the renderer draws, and what the tests, the benchmark and the fuzzer
 * check. No SDL here. The reader is evlog.c, the model model.c. */
#ifndef MMUSIM_GUI_MODEL_H
#define MMUSIM_GUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/mmu.h"

/* ---------------------------------------------------------------- events */

enum gev_kind {
	GEV_OTHER, GEV_FAULT, GEV_PTE, GEV_TABLE_ALLOC, GEV_TABLE_FREE, GEV_FRAME_ALLOC, GEV_FRAME_FREE,
	GEV_COW_COPY, GEV_TLB_FILL, GEV_TLB_FLUSH, GEV_PROC_CREATE, GEV_PROC_EXIT, GEV_SWITCH, GEV_EXEC,
	GEV_MMAP, GEV_MUNMAP, GEV_MPROTECT, GEV_BRK, GEV_PAGECACHE_SHARE, GEV_MREMAP,
};

enum frame_use { USE_FREE, USE_ANON, USE_PAGETABLE, USE_ZERO, USE_PAGECACHE, USE_COUNT };

enum { TLB_KINDS = 3 };   /* L1i, L1d, L2 (enum tlb_id) */

struct tlb_entry_ev {
	bool valid, global;
	uint16_t asid;
	uint64_t va, size;
};

struct gev {
	uint8_t kind;          /* enum gev_kind */
	int8_t level;          /* pte, table_alloc/free */
	uint8_t use;           /* frame_alloc/free: enum frame_use */
	uint8_t tlb, array;    /* tlb_fill */
	uint8_t scope;         /* tlb_flush: 0 va, 1 asid, 2 all */
	int pid;
	uint32_t index;        /* pte index; tlb_fill set; fault: index into the log's faults;
	                          pagecache_share: the file, in the log's files */
	uint32_t way;
	uint64_t pa;           /* pte table; table/frame/pagecache_share pa; cow from; proc root */
	uint64_t va;           /* pte va; cow va; flush va; mmap addr; pagecache_share va */
	uint64_t old, val;     /* pte old/new; cow to; mmap len, result; mremap old len, new len;
	                          pagecache_share offset, mapcount */
	int64_t result;        /* mmap-family result (negative errno) */
	uint32_t prot, flags;  /* mmap-family */
	int parent, asid;      /* proc events; flush asid */
	struct tlb_entry_ev entry, victim;
};

struct gpte {
	int8_t level;
	uint32_t index;
	uint64_t table, va, old, val;
};

struct gfault {
	size_t ev;                  /* its index in the log's events */
	int n, pid;
	uint64_t va;
	char access[8], kind[24], outcome[12];
	int level;
	struct mmu_syndrome syn;
	bool has_syn;
	uint64_t pc;
	bool has_pc;
	char *insn;                 /* or NULL */
	bool has_vma;
	uint64_t vma_start, vma_end;
	char vma_prot[4], vma_flags[40];
	char *vma_file;             /* or NULL */
	uint64_t vma_offset;        /* the file offset of vma_start */
	char *path, *chain;         /* " > "-joined */
	struct gpte *ptes;
	int nptes;
	int tables, frames, copied, around, signal;
	bool major;
	uint64_t cycles;
};

struct evlog {
	char name[256];
	const struct pt_format *fmt;
	char arch[16], preset[64], personality[16];
	struct gev *ev;
	size_t nev, cap;
	struct gfault *faults;
	size_t nfaults, fcap;
	char **files;           /* the file names pagecache_share events name, each once */
	uint32_t nfiles, filecap;
	int line;               /* lines read so far */
	bool header_seen, ended;
	/* what the whole log needs drawn: for a steady layout */
	uint64_t max_frame;     /* highest frame number seen + 1 */
	uint32_t tlb_sets[TLB_KINDS][TLB_MAX_ARRAYS], tlb_ways[TLB_KINDS][TLB_MAX_ARRAYS];
	uint64_t tlb_size[TLB_KINDS][TLB_MAX_ARRAYS];
	char *bigline;          /* a stream's unfinished line */
	size_t nbig;
};

void evlog_init(struct evlog *l, const char *name);
void evlog_free(struct evlog *l);
/* Parses one line (without its newline). 0, or -1 with err = "name:line: reason". */
int evlog_add_line(struct evlog *l, const char *line, size_t len, char *err, size_t errlen);
/* Reads a whole file: 0, or -1 with err filled. */
int evlog_read_file(struct evlog *l, const char *path, char *err, size_t errlen);
/* Feeds bytes of a stream (complete lines are parsed, the rest kept). */
int evlog_feed(struct evlog *l, const char *buf, size_t len, char *err, size_t errlen);

/* ----------------------------------------------------------------- model */

struct gentry {
	uint32_t index;
	uint64_t va, val;
};

struct gtable {
	uint64_t pa;
	int level, pid;
	struct gentry *e;     /* sorted by index */
	int n, cap;
};

struct gvma {
	uint64_t start, end;
	char prot[4];
	char kind[32];        /* "anon", "stack", "heap", a file's base name */
};

struct gproc {
	int pid, parent, asid;
	uint64_t root;
	bool alive;
	int code;
	uint64_t brk_start, brk;
	struct gvma *vma;
	int nvma, cap;
};

struct gtlb {
	uint32_t sets, ways;
	uint64_t size;
	struct tlb_entry_ev *slot;   /* sets * ways */
};

struct model {
	const struct evlog *log;
	size_t applied;              /* events applied so far */
	struct gproc *proc;
	int nproc, cap;
	uint64_t nframes;
	uint8_t *use;                /* per frame: enum frame_use */
	struct gtable **table;       /* per frame: the table it holds, or NULL */
	struct gtlb tlb[TLB_KINDS][TLB_MAX_ARRAYS];
	int current_pid;
	struct model_checkpoints *cp;
};

/* A step is one fault (or, for a log without faults, the whole log). */
size_t model_steps(const struct evlog *l);
/* The events of step k (0-based) are [step_begin, step_end). */
size_t model_step_end(const struct evlog *l, size_t k);
size_t model_step_begin(const struct evlog *l, size_t k);
/* The fault of step k, or NULL. */
const struct gfault *model_step_fault(const struct evlog *l, size_t k);

void model_init(struct model *m, const struct evlog *l);
void model_free(struct model *m);
/* The state after step k: rebuilt from a checkpoint, so going back is exact. */
void model_goto(struct model *m, size_t k);
struct gproc *model_proc(const struct model *m, int pid);
const struct gtable *model_table(const struct model *m, uint64_t pa);
const struct gentry *table_entry(const struct gtable *t, uint32_t index);

/* The walk of va through the process's tables: entries from the root down. */
struct walk_cell {
	uint64_t table;
	uint32_t index;
	int level;
	bool present;     /* an entry is there (non-zero) */
};
int model_walk(const struct model *m, int pid, uint64_t va, struct walk_cell *out, int max);

/* Per frame: how many leaf entries of live processes map it, and which
 * processes (the first MAPPER_PIDS of them). */
#define MAPPER_PIDS 6
struct mappers {
	uint32_t count;
	int npids;
	int pid[MAPPER_PIDS];
};
/* out has m->nframes elements. */
void model_collect_mappers(const struct model *m, struct mappers *out);

#endif
