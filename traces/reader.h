/* traces/ internal: the trace reader's state, shared by the JSON Lines
 * reader (trace_read.c) and the binary one (trace_bin.c). The input is a
 * descriptor or a caller's buffer (trace_open_buffer), read in large blocks
 * into `buf`; both formats decode from there in place. */
#ifndef MMUSIM_TRACES_READER_H
#define MMUSIM_TRACES_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/traces.h"

#define MAX_LINE (1u << 20)            /* longest line accepted, without its '\n' */
#define BUF_SIZE (2 * MAX_LINE + 2)    /* a whole line plus at least 1 MiB to read into */

struct trace_reader {
	int fd;             /* the input, unless mem */
	bool own_fd;
	const uint8_t *mem; /* trace_open_buffer's input, mem_len bytes, mem_pos taken */
	size_t mem_len, mem_pos;
	bool eof;     /* the input is exhausted */
	bool done;    /* trace_next returned 0 */
	bool failed;  /* trace_next returned -1: errmsg holds why */
	bool binary;  /* the compact binary form (trace_bin.c), not JSON Lines */
	enum mmu_arch arch;
	bool recorded; /* the header's "recorded" */
	char *comment; /* the header's "comment", or NULL */
	char *name;   /* for messages: the path, or "<stdin>" */
	char *buf;    /* BUF_SIZE + 1 bytes: room for a NUL after a last line without '\n' */
	size_t pos, end;
	uint64_t base;      /* offset in the input of buf[0] */
	uint64_t lineno;    /* lines taken from the input so far */
	uint64_t rec_line;  /* line (binary: byte offset) of the last record returned (or of the error) */
	uint64_t records;   /* binary: records decoded so far */
	uint64_t last_va[2];/* binary: the previous data and fetch addresses (accesses are deltas) */
	char errmsg[1024];
	char path[TR_PATH_MAX + 1];  /* the last record's "path" */
	char fname[TR_PATH_MAX + 1]; /* ... and "name" */
};

/* Moves what is left of buf to its start and reads more after it, as much
 * as fits; sets eof when the input has no more. 0, or -1 on a read error
 * (err filled, the reader failed). */
int reader_more(struct trace_reader *r, char *err, size_t errlen);

/* Fails the reader with "NAME:POS: message" (POS a line, or for binary
 * traces a byte offset; 0: "NAME: message"). Returns -1. */
int reader_fail(struct trace_reader *r, uint64_t pos, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The keys of a record, and which each op allows and requires (besides
 * "op" and "pid"): the JSON reader's rules, which the binary reader applies
 * to its records too. */
enum trace_key {
	K_OP, K_VA, K_SIZE, K_PID, K_ADDR, K_LEN, K_PROT, K_FLAGS, K_STACK_TOP, K_BRK, K_CHILD, K_CODE, K_N,
	K_FD, K_OFFSET, K_PATH, K_FILL, K_ADVICE, K_VALUE, K_UACCESS, K_SWITCH, K_NAME, K_CAUGHT, K_NEW_LEN,
	K_NEW_ADDR, K_CPU, K_LAZY, K_MIGRATED, K_COUNT
};
extern const char *const trace_key_name[K_COUNT];
#define B(k) (1u << (k))

struct op_info {
	const char *name;
	enum trace_op op;
	uint32_t allowed;   /* besides "op" and "pid" */
	uint32_t required;
};
/* Indexed by enum trace_op. */
extern const struct op_info trace_ops[TR_OP_LAST + 1];

/* The binary form (trace_bin.c). bin_magic: does the input start like a
 * binary trace (its first byte)? */
#define BIN_MAGIC "\x89MTR\r\n\x1a\n"
#define BIN_MAGIC_LEN 8
int bin_read_header(struct trace_reader *r, char *err, size_t errlen);
int bin_next(struct trace_reader *r, struct trace_rec *rec, char *err, size_t errlen);
/* Replay's quick path: up to `max` plain accesses (no pid, value, uaccess or
 * caught, size 1 to 8) decoded in one go; 0 when the next record is anything
 * else (or there is none, or it is malformed): bin_next's to return or
 * refuse. Each has its offset, for messages. */
struct bin_access {
	uint64_t va, at;
	uint8_t op, len;
};
#define BIN_ACCESS_MAX 11   /* the longest plain access: a tag and a 10-byte delta */
size_t bin_access_run(struct trace_reader *r, struct bin_access *out, size_t max, char *err, size_t errlen);

#endif
