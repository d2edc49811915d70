/* Trace writing in canonical form (docs/trace-format.md, "Canonical form"):
 * keys in the order of the spec's tables with "pid" last, hex in lower case
 * without leading zeros ("0x0" for zero), and size, n, pid, child and code
 * as JSON integers (size and n as hex strings from 2^53 on, where JSON
 * numbers stop being exact). Per op:
 *   r/w/x     op, va, size (always written, even 1), pid
 *   exec      op, stack_top and brk (each only when non-zero), pid
 *   mmap      op, addr (always, "0x0" when the kernel chooses), len, prot, flags, pid
 *   munmap    op, addr, len, pid
 *   mprotect  op, addr, len, prot, pid
 *   brk       op, addr, pid
 *   fork      op, child, pid
 *   exit      op, code (always), pid
 *   switch    op, pid (always)
 *   insns     op, n, pid
 *   (accesses add "uaccess":true after size and value when set, then
 *   "caught":true when set; fork adds
 *   "switch":false after child when the parent stays current)
 *   pread, pwrite  op, fd, offset, len, pid
 *   ftruncate op, fd, len, pid
 *   fsync     op, fd, pid
 *   (file adds "name" after fill when it has one)
 * "pid" is written whenever it is >= 0. prot is the letters in the order
 * "rwx"; flags are in the order private, shared, anonymous, fixed,
 * growsdown. The writer does not validate: a record the reader would refuse
 * (no private/shared, size 0, ...) is written as it is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/outfile.h"
#include "traces/trace_bin.h"
#include "traces/traces.h"

struct trace_writer {
	struct outfile *out;
	bool binary;           /* the compact binary form (trace_bin.c) */
	uint64_t last_va[2];   /* binary: the previous data and fetch addresses */
	uint64_t records;      /* binary: for the end record */
};

/* The longest canonical line: a path and a name of TR_PATH_MAX bytes each,
 * each byte escaped to at most 6, plus the other fields. */
#define LINE_MAX_LEN (12 * TR_PATH_MAX + 256)

/* The helpers are always inlined so that the keys' lengths are constants. */

static inline __attribute__((always_inline)) char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static inline __attribute__((always_inline)) char *put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int nd = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
	*p++ = '0';
	*p++ = 'x';
	for (int i = nd - 1; i >= 0; i--) {
		p[i] = digits[v & 15];
		v >>= 4;
	}
	return p + nd;
}

static inline __attribute__((always_inline)) char *put_dec(char *p, int64_t sv)
{
	uint64_t v = (uint64_t)sv;
	if (sv < 0) {
		*p++ = '-';
		v = 0 - v;
	}
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* `,"key":"0x..."` */
static inline __attribute__((always_inline)) char *put_hex_field(char *p, const char *key, uint64_t v)
{
	*p++ = ',';
	*p++ = '"';
	p = put_str(p, key);
	p = put_str(p, "\":\"");
	p = put_hex(p, v);
	*p++ = '"';
	return p;
}

static inline __attribute__((always_inline)) char *put_dec_field(char *p, const char *key, int64_t v)
{
	*p++ = ',';
	*p++ = '"';
	p = put_str(p, key);
	*p++ = '"';
	*p++ = ':';
	return put_dec(p, v);
}

/* A count (size, n): an integer, or a hex string from 2^53 on, where JSON
 * numbers (doubles to most readers) stop being exact. */
static inline __attribute__((always_inline)) char *put_count_field(char *p, const char *key, uint64_t v)
{
	if (v >= (1ull << 53))
		return put_hex_field(p, key, v);
	return put_dec_field(p, key, (int64_t)v);
}

static char *put_prot(char *p, uint32_t prot)
{
	p = put_str(p, ",\"prot\":\"");
	if (prot & TR_PROT_R)
		*p++ = 'r';
	if (prot & TR_PROT_W)
		*p++ = 'w';
	if (prot & TR_PROT_X)
		*p++ = 'x';
	*p++ = '"';
	return p;
}

static char *put_flags(char *p, uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{TR_MAP_PRIVATE, "private"}, {TR_MAP_SHARED, "shared"},   {TR_MAP_ANONYMOUS, "anonymous"},
		{TR_MAP_FIXED, "fixed"},     {TR_MAP_GROWSDOWN, "growsdown"},
	};
	p = put_str(p, ",\"flags\":\"");
	bool first = true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(flags & names[i].bit))
			continue;
		if (!first)
			*p++ = ',';
		first = false;
		p = put_str(p, names[i].name);
	}
	*p++ = '"';
	return p;
}

static char *put_flag_names(char *p, uint32_t flags, const uint32_t *bits, const char *const *names, size_t n)
{
	p = put_str(p, ",\"flags\":\"");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if ((flags & bits[i]) != bits[i] || !bits[i])
			continue;
		flags &= ~bits[i];
		if (!first)
			*p++ = ',';
		first = false;
		p = put_str(p, names[i]);
	}
	*p++ = '"';
	return p;
}

static char *put_path_key(char *p, const char *key, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	*p++ = ',';
	*p++ = '"';
	p = put_str(p, key);
	p = put_str(p, "\":\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			p = put_str(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

static char *put_path(char *p, const char *s) { return put_path_key(p, "path", s); }

/* Formats into `out`, which has room for LINE_MAX_LEN bytes; returns the
 * length (with the '\n', without a NUL). */
static size_t format_line(const struct trace_rec *r, char *out)
{
	static const char *const opname[] = {
		[TR_READ] = "r",      [TR_WRITE] = "w",         [TR_FETCH] = "x", [TR_EXEC] = "exec",
		[TR_MMAP] = "mmap",   [TR_MUNMAP] = "munmap",   [TR_MPROTECT] = "mprotect",
		[TR_BRK] = "brk",     [TR_FORK] = "fork",       [TR_EXIT] = "exit",
		[TR_SWITCH] = "switch", [TR_INSNS] = "insns", [TR_FILE] = "file", [TR_OPEN] = "open",
		[TR_CLOSE] = "close", [TR_MSYNC] = "msync", [TR_MADVISE] = "madvise", [TR_MEMLIMIT] = "memlimit",
		[TR_PREAD] = "pread", [TR_PWRITE] = "pwrite", [TR_FTRUNCATE] = "ftruncate", [TR_FSYNC] = "fsync",
		[TR_MREMAP] = "mremap", [TR_CPU] = "cpu",
	};
	static const uint32_t open_bits[] = {TR_O_READ | TR_O_WRITE, TR_O_READ, TR_O_WRITE, TR_O_CREATE, TR_O_TRUNC};
	static const char *const open_names[] = {"rdwr", "rdonly", "wronly", "create", "trunc"};
	static const uint32_t msync_bits[] = {TR_MS_SYNC, TR_MS_ASYNC, TR_MS_INVALIDATE};
	static const char *const msync_names[] = {"sync", "async", "invalidate"};
	static const uint32_t mremap_bits[] = {TR_MREMAP_MAYMOVE, TR_MREMAP_FIXED, TR_MREMAP_DONTUNMAP};
	static const char *const mremap_names[] = {"maymove", "fixed", "dontunmap"};
	static const char *const advice[] = {"normal", "willneed", "dontneed", "hugepage", "nohugepage", "cold", "pageout"};
	char *p = out;
	const char *name = (unsigned)r->op < sizeof opname / sizeof opname[0] ? opname[r->op] : NULL;
	p = put_str(p, "{\"op\":\"");
	p = put_str(p, name ? name : "?");
	*p++ = '"';
	bool pid_done = false;
	switch (r->op) {
	case TR_READ:
	case TR_WRITE:
	case TR_FETCH:
		p = put_hex_field(p, "va", r->va);
		p = put_count_field(p, "size", r->len);
		if (r->op == TR_WRITE && r->has_value)
			p = put_hex_field(p, "value", r->value);
		if (r->uaccess)
			p = put_str(p, ",\"uaccess\":true");
		if (r->caught)
			p = put_str(p, ",\"caught\":true");
		break;
	case TR_EXEC:
		if (r->stack_top)
			p = put_hex_field(p, "stack_top", r->stack_top);
		if (r->brk)
			p = put_hex_field(p, "brk", r->brk);
		break;
	case TR_MMAP:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		p = put_prot(p, r->prot);
		p = put_flags(p, r->flags);
		if (!(r->flags & TR_MAP_ANONYMOUS) && r->fd >= 0) {   /* a file mapping */
			p = put_dec_field(p, "fd", r->fd);
			p = put_hex_field(p, "offset", r->offset);
		}
		break;
	case TR_FILE:
		p = put_path(p, r->path);
		p = put_hex_field(p, "len", r->len);
		if (r->fill == TR_FILL_OFFSETS) {
			p = put_str(p, ",\"fill\":\"offsets\"");
		} else if (r->fill == TR_FILL_BYTE) {
			p = put_str(p, ",\"fill\":\"");
			p = put_hex(p, r->fill_byte);
			*p++ = '"';
		}
		if (r->name)
			p = put_path_key(p, "name", r->name);
		break;
	case TR_OPEN:
		p = put_path(p, r->path);
		p = put_flag_names(p, r->flags, open_bits, open_names, 5);
		if (r->fd >= 0)
			p = put_dec_field(p, "fd", r->fd);
		break;
	case TR_CLOSE:
		p = put_dec_field(p, "fd", r->fd);
		break;
	case TR_MSYNC:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		p = put_flag_names(p, r->flags, msync_bits, msync_names, 3);
		break;
	case TR_MADVISE:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		p = put_str(p, ",\"advice\":\"");
		p = put_str(p, r->advice < 7 ? advice[r->advice] : "?");
		*p++ = '"';
		break;
	case TR_MEMLIMIT:
		p = put_hex_field(p, "len", r->len);
		break;
	case TR_MREMAP:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		p = put_hex_field(p, "new_len", r->new_len);
		if (r->flags)
			p = put_flag_names(p, r->flags, mremap_bits, mremap_names, 3);
		if (r->new_addr)
			p = put_hex_field(p, "new_addr", r->new_addr);
		break;
	case TR_MUNMAP:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		break;
	case TR_MPROTECT:
		p = put_hex_field(p, "addr", r->va);
		p = put_hex_field(p, "len", r->len);
		p = put_prot(p, r->prot);
		break;
	case TR_BRK:
		p = put_hex_field(p, "addr", r->va);
		break;
	case TR_FORK:
		p = put_dec_field(p, "child", r->child);
		if (r->stay)
			p = put_str(p, ",\"switch\":false");
		break;
	case TR_PREAD:
	case TR_PWRITE:
		p = put_dec_field(p, "fd", r->fd);
		p = put_hex_field(p, "offset", r->offset);
		p = put_hex_field(p, "len", r->len);
		break;
	case TR_FTRUNCATE:
		p = put_dec_field(p, "fd", r->fd);
		p = put_hex_field(p, "len", r->len);
		break;
	case TR_FSYNC:
		p = put_dec_field(p, "fd", r->fd);
		break;
	case TR_EXIT:
		p = put_dec_field(p, "code", r->code);
		break;
	case TR_SWITCH:
		p = put_dec_field(p, "pid", r->pid);
		pid_done = true;
		break;
	case TR_CPU:
		p = put_dec_field(p, "pid", r->pid);
		pid_done = true;
		p = put_count_field(p, "cpu", r->cpu);
		if (r->lazy)
			p = put_count_field(p, "lazy", r->lazy);
		if (r->migrated)
			p = put_str(p, ",\"migrated\":true");
		break;
	case TR_INSNS:
		p = put_count_field(p, "n", r->len);
		break;
	}
	if (!pid_done && r->pid >= 0)
		p = put_dec_field(p, "pid", r->pid);
	*p++ = '}';
	*p++ = '\n';
	return (size_t)(p - out);
}

/* Like snprintf: returns the full length; writes at most len - 1 bytes and a
 * NUL when len > 0. */
size_t trace_format(const struct trace_rec *rec, char *buf, size_t len)
{
	char line[LINE_MAX_LEN];
	size_t n = format_line(rec, line);
	if (len) {
		size_t k = n < len - 1 ? n : len - 1;
		memcpy(buf, line, k);
		buf[k] = 0;
	}
	return n;
}

/* A JSON string body: quote, backslash and control characters escaped,
 * everything else (UTF-8 included) as it is. */
static void put_json_string(struct outfile *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	outfile_write(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6];
		size_t n = 0;
		switch (c) {
		case '"': n = 2, esc[0] = '\\', esc[1] = '"'; break;
		case '\\': n = 2, esc[0] = '\\', esc[1] = '\\'; break;
		case '\n': n = 2, esc[0] = '\\', esc[1] = 'n'; break;
		case '\r': n = 2, esc[0] = '\\', esc[1] = 'r'; break;
		case '\t': n = 2, esc[0] = '\\', esc[1] = 't'; break;
		case '\b': n = 2, esc[0] = '\\', esc[1] = 'b'; break;
		case '\f': n = 2, esc[0] = '\\', esc[1] = 'f'; break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
			}
		}
		if (n)
			outfile_write(o, esc, n);
		else
			outfile_write(o, s, 1);
	}
	outfile_write(o, "\"", 1);
}

/* A writer on a new output file at path, nothing written yet. */
static struct trace_writer *writer_open(const char *path, char *err, size_t errlen)
{
	struct trace_writer *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->out = outfile_open(path, err, errlen);
	if (!w->out) {
		free(w);
		return NULL;
	}
	return w;
}

static struct trace_writer *create(const char *path, enum mmu_arch arch, const char *comment, bool recorded,
				   char *err, size_t errlen)
{
	struct trace_writer *w = writer_open(path, err, errlen);
	if (!w)
		return NULL;
	outfile_printf(w->out, "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"%s\"",
		       mmu_arch_name(arch));
	if (recorded)
		outfile_write(w->out, ",\"recorded\":true", 16);
	if (comment) {
		outfile_write(w->out, ",\"comment\":", 11);
		put_json_string(w->out, comment);
	}
	outfile_write(w->out, "}\n", 2);
	return w;
}

struct trace_writer *trace_create(const char *path, enum mmu_arch arch, const char *comment, char *err,
				  size_t errlen)
{
	return create(path, arch, comment, false, err, errlen);
}

struct trace_writer *trace_create_recorded(const char *path, enum mmu_arch arch, const char *comment, char *err,
					   size_t errlen)
{
	return create(path, arch, comment, true, err, errlen);
}

struct trace_writer *trace_create_binary(const char *path, enum mmu_arch arch, const char *comment, bool recorded,
					 char *err, size_t errlen)
{
	struct trace_writer *w = writer_open(path, err, errlen);
	if (!w)
		return NULL;
	w->binary = true;
	uint8_t head[BIN_FIXED_MAX];
	size_t clen = comment ? strlen(comment) : 0;
	outfile_write(w->out, head, bin_header(head, arch, recorded, clen));
	outfile_write(w->out, comment ? comment : "", clen);
	return w;
}

/* A record in the binary form: on the stack unless its strings are long. */
static void write_binary(struct trace_writer *w, const struct trace_rec *rec)
{
	uint8_t small[BIN_MAX_RECORD];
	size_t need = bin_encoded_max(rec);
	uint8_t *buf = need <= sizeof small ? small : malloc(need);
	if (!buf) {
		outfile_fail(w->out, ENOMEM);
		return;
	}
	outfile_write(w->out, buf, bin_encode(rec, w->last_va, buf));
	w->records++;
	if (buf != small)
		free(buf);
}

void trace_write(struct trace_writer *w, const struct trace_rec *rec)
{
	if (w->binary) {
		write_binary(w, rec);
		return;
	}
	char line[LINE_MAX_LEN];
	outfile_write(w->out, line, format_line(rec, line));
}

int trace_finish(struct trace_writer *w, char *err, size_t errlen)
{
	if (w->binary) {
		uint8_t end[BIN_FIXED_MAX];
		outfile_write(w->out, end, bin_end(end, w->records));
	}
	int rc = outfile_commit(w->out, err, errlen);
	free(w);
	return rc;
}

void trace_abort(struct trace_writer *w)
{
	if (!w)
		return;
	outfile_abort(w->out);
	free(w);
}
