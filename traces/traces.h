/* traces/ — trace and event-log files (JSON Lines), and replay.
 * Formats: docs/trace-format.md and docs/event-log.md. */
#ifndef MMUSIM_TRACES_H
#define MMUSIM_TRACES_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/mmu.h"
#include "os/os.h"

/* ---- Trace records ------------------------------------------------------ */
enum trace_op {
	TR_READ, TR_WRITE, TR_FETCH,     /* accesses: "r", "w", "x" */
	TR_EXEC, TR_MMAP, TR_MUNMAP, TR_MPROTECT, TR_BRK, TR_FORK, TR_EXIT, TR_SWITCH, TR_INSNS,
	TR_FILE, TR_OPEN, TR_CLOSE, TR_MSYNC, TR_MADVISE, TR_MEMLIMIT,
	TR_PREAD, TR_PWRITE, TR_FTRUNCATE, TR_FSYNC,   /* file I/O through the page cache */
	TR_MREMAP,
	TR_CPU,                                        /* several CPUs: where a turn runs */
};
#define TR_OP_LAST TR_CPU

#define TR_PROT_R 1u
#define TR_PROT_W 2u
#define TR_PROT_X 4u

#define TR_MAP_SHARED    1u
#define TR_MAP_PRIVATE   2u
#define TR_MAP_ANONYMOUS 4u
#define TR_MAP_FIXED     8u
#define TR_MAP_GROWSDOWN 16u

/* open flags: "rdonly", "wronly", "rdwr", then "create", "trunc" */
#define TR_O_READ   1u
#define TR_O_WRITE  2u
#define TR_O_CREATE 4u
#define TR_O_TRUNC  8u

/* msync flags: "sync", "async", "invalidate" */
#define TR_MS_SYNC       1u
#define TR_MS_ASYNC      2u
#define TR_MS_INVALIDATE 4u

/* mremap flags: "maymove", "fixed", "dontunmap" (Linux's MREMAP_* bits) */
#define TR_MREMAP_MAYMOVE   1u
#define TR_MREMAP_FIXED     2u
#define TR_MREMAP_DONTUNMAP 4u

enum trace_advice { TR_ADV_NORMAL, TR_ADV_WILLNEED, TR_ADV_DONTNEED, TR_ADV_HUGEPAGE, TR_ADV_NOHUGEPAGE,
		    TR_ADV_COLD, TR_ADV_PAGEOUT };
/* A file's contents: zeros, each 8-byte word its own offset (little-endian),
 * or one byte repeated. */
enum trace_fill { TR_FILL_ZERO, TR_FILL_OFFSETS, TR_FILL_BYTE };
#define TR_PATH_MAX 1024
/* A "file" record's largest "len": replay writes the file to the host
 * disk, and a typo must not fill it (both forms refuse more). */
#define TR_FILE_MAX (1ull << 30)
#define TR_FILE_TOO_BIG "\"len\" is more than the 1 GiB a file record may have"

struct trace_rec {
	enum trace_op op;
	int32_t pid;          /* -1 when absent: the current process */
	uint64_t va;          /* accesses; mmap (0: the kernel chooses), munmap, mprotect, brk, mremap */
	uint64_t len;         /* accesses: size (default 1); mmap/munmap/mprotect/msync/madvise: length;
				 insns: count; file: size; memlimit: bytes; pread/pwrite: bytes;
				 ftruncate: the new size; mremap: the old length */
	uint64_t new_len;     /* mremap */
	uint64_t new_addr;    /* mremap (MREMAP_FIXED's) */
	uint32_t prot;        /* TR_PROT_* (mmap, mprotect) */
	uint32_t flags;       /* TR_MAP_* (mmap), TR_O_* (open), TR_MS_* (msync), TR_MREMAP_* */
	uint64_t stack_top;   /* exec; 0: the architecture's default */
	uint64_t brk;         /* exec; 0: the default */
	int32_t child;        /* fork */
	int32_t code;         /* exit */
	int32_t fd;           /* mmap, open (the fd expected), close, pread ... fsync; -1 when absent */
	uint64_t offset;      /* mmap of a file, pread, pwrite */
	const char *path;     /* file, open: valid until the next trace_next */
	const char *name;     /* file: the name the kernel gives it, when not its path (NULL) */
	uint32_t cpu;         /* cpu: the CPU the turn runs on */
	uint64_t lazy;        /* cpu: the other CPUs that idle in lazy TLB mode, a bit each */
	bool migrated;        /* cpu: the thread moved to it */
	uint32_t advice;      /* madvise: enum trace_advice */
	uint32_t fill;        /* file: enum trace_fill */
	uint8_t fill_byte;    /* file with TR_FILL_BYTE */
	bool has_value;       /* a write that says what it writes */
	uint64_t value;       /* little-endian, the access's size bytes (at most 8) */
	bool uaccess;         /* an access copy_to_user & co made: a fault it cannot resolve is -EFAULT */
	bool caught;          /* a fault it cannot resolve is caught by the process's signal handler */
	bool stay;            /* fork: the parent stays current ("switch":false) */
};

/* Reading, of either form. `path` "-" is standard input. Errors are one
 * line, naming the file and line (binary: byte offset):
 * "trace.jsonl:12: unknown op \"frob\"", "trace.mtr:4711: truncated record". */
struct trace_reader;
struct trace_reader *trace_open(const char *path, char *err, size_t errlen);
enum mmu_arch trace_arch(const struct trace_reader *r);
/* The header says "recorded": true (mmusim run --record wrote it). */
bool trace_recorded(const struct trace_reader *r);
/* The same, of a trace in memory (`len` bytes at `data`, which must stay
 * valid until trace_close), named `name` in messages: the entry point for
 * tests and fuzzing, which never touches the file system. */
struct trace_reader *trace_open_buffer(const void *data, size_t len, const char *name, char *err, size_t errlen);
/* The input is the binary form (docs/trace-format.md, "Binary form"), not
 * JSON Lines; trace_open tells them apart by the first byte. */
bool trace_is_binary(const struct trace_reader *r);
/* The header's comment, or NULL. */
const char *trace_comment(const struct trace_reader *r);
/* 1: a record; 0: end of trace; -1: error (err filled, reading stops). */
int trace_next(struct trace_reader *r, struct trace_rec *rec, char *err, size_t errlen);
/* Where the last record returned is: its line, or in a binary trace its
 * byte offset (what error messages name after the file). */
uint64_t trace_lineno(const struct trace_reader *r);
/* How far reading has got in the input, in bytes (for a progress bar). */
uint64_t trace_offset(const struct trace_reader *r);
void trace_close(struct trace_reader *r);

/* Writing, in canonical form. Output goes to a temporary file beside `path`
 * that trace_finish renames into place, so an error leaves nothing
 * half-written; "-" writes to standard output. */
struct trace_writer;
struct trace_writer *trace_create(const char *path, enum mmu_arch arch, const char *comment, char *err,
				  size_t errlen);
/* The same, with "recorded": true in the header. */
struct trace_writer *trace_create_recorded(const char *path, enum mmu_arch arch, const char *comment, char *err,
					   size_t errlen);
/* The same in the compact binary form ("recorded": `recorded`). */
struct trace_writer *trace_create_binary(const char *path, enum mmu_arch arch, const char *comment, bool recorded,
					 char *err, size_t errlen);
void trace_write(struct trace_writer *w, const struct trace_rec *rec);
int trace_finish(struct trace_writer *w, char *err, size_t errlen);  /* 0 or -1; frees w */
void trace_abort(struct trace_writer *w);                            /* removes the file; frees w */

/* Formats one record as its canonical line (with '\n'); returns its length. */
size_t trace_format(const struct trace_rec *rec, char *buf, size_t len);

/* Valgrind `--tool=lackey --trace-mem=yes` output to a trace of `arch`:
 * "I  addr,size" fetches, " L" loads, " S" stores, " M" modifies (a load
 * then a store). The trace first maps every region the log touches. */
int lackey_convert(const char *in_path, const char *out_path, enum mmu_arch arch, char *err, size_t errlen);

/* ---- Event logs (docs/event-log.md) ------------------------------------------ */
struct eventlog;
struct eventlog_info {
	const char *preset, *personality;
	const char *source;      /* "replay" or "run" */
	const char *input;       /* the trace or program */
};
/* Written through a temporary file, committed by eventlog_finish. */
struct eventlog *eventlog_create(const char *path, const struct kernel *k, const struct eventlog_info *info,
				 char *err, size_t errlen);
/* The bus subscriber: kernel_subscribe(k, eventlog_event, log). */
void eventlog_event(void *ctx, const struct os_event *ev);
/* Appends the stats record and puts the file in place; frees log. */
int eventlog_finish(struct eventlog *log, const struct kernel *k, char *err, size_t errlen);
void eventlog_abort(struct eventlog *log);
/* The stats record alone (one line, as the event log ends), to `path`
 * (--stats-json; what mmusim sweep reads from each point). 0 or -1. */
int stats_json_write(const char *path, const struct kernel *k, char *err, size_t errlen);

/* ---- Chrome trace (docs/chrome-trace.md) ------------------------------------ */
/* The Trace Event Format that Perfetto and chrome://tracing open: per
 * process, its lifetime, system calls and faults (with their details as
 * args) as slices on simulated time (cycles at clock_ghz; 1 GHz when 0).
 * Subscribes to k's events and sets its system-call hook; the file is
 * written, sorted by time, when chrome_trace_finish puts it in place. */
struct chrome_trace;
struct chrome_trace *chrome_trace_create(const char *path, struct kernel *k, const struct eventlog_info *info,
					 double clock_ghz, char *err, size_t errlen);
int chrome_trace_finish(struct chrome_trace *t, char *err, size_t errlen);   /* 0 or -1; frees t */
void chrome_trace_abort(struct chrome_trace *t);                              /* NULL is fine */

/* ---- Replay -------------------------------------------------------------------- */
struct replay_result {
	/* Called, when set, every 65,536 records (a progress bar). */
	void (*progress)(void *ctx, const struct trace_reader *r, uint64_t records);
	void *progress_ctx;
	/* When set, a signal number the caller's handler stores: replay stops
	 * before the next record, returns 0 and says which in `stopped`. */
	const volatile sig_atomic_t *stop;
	int stopped;
	uint64_t records, accesses;
	uint64_t skipped;        /* records of processes the simulator had killed */
	int last_status;         /* exit status of the last process to end (128 + signal if killed) */
};
/* Drives the kernel from the trace, one record at a time; `record`, when
 * given, receives every record replayed. 0, or -1 with a one-line error
 * ("FILE:LINE: ...") for a trace that cannot be replayed. */
int replay(struct kernel *k, struct trace_reader *r, const char *name, struct trace_writer *record,
	   struct replay_result *res, char *err, size_t errlen);

/* ---- Recording (mmusim run --record) -------------------------------------------- */
/* A trace of everything the kernel's operation hook is told (os.h,
 * "Operations"), written as it happens, such that replaying it on the same
 * machine (preset, personality, memory, swap) gives the same faults; the
 * MMU's instruction count becomes "insns" records. recorder_create sets
 * the kernel's operation hook (and nothing else may); the trace is written
 * through a temporary file that recorder_finish puts in place. Both
 * recorder_finish and recorder_abort remove the hook and free r.
 * docs/trace-format.md, "Recorded traces", says what is written. */
struct recorder;
struct recorder *recorder_create(const char *path, struct kernel *k, const char *comment, char *err, size_t errlen);
int recorder_finish(struct recorder *r, char *err, size_t errlen);
void recorder_abort(struct recorder *r);

#endif
