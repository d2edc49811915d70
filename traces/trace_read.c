/* Trace reading (docs/trace-format.md). Input is read in large blocks and
 * split into lines in place. Access records in the canonical form that
 * trace_write produces ({"op":"r","va":"0x...","size":N} with an optional
 * ,"pid":N) are recognised by a hand-written scanner without allocating;
 * any other line goes through cJSON, which accepts every valid spelling
 * (whitespace, key order, upper-case hex, sizes as hex strings, ...) and
 * names what is wrong otherwise. The two paths give the same record for
 * every line the fast one accepts. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/line.h"
#include "traces/reader.h"
#include "traces/traces.h"
#include "mmu/errmsg.h"

/* ---- Errors ---------------------------------------------------------------- */

int reader_fail(struct trace_reader *r, uint64_t line, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* a binary trace's offset 0 is a position too */
	errmsg_vset(r->errmsg, sizeof r->errmsg, r->name, line || r->binary ? (long long)line : ERRMSG_NO_LINE, fmt, ap);
	va_end(ap);
	r->failed = true;
	r->rec_line = line;
	if (err && errlen)
		snprintf(err, errlen, "%s", r->errmsg);
	return -1;
}

/* `s` quoted for a one-line message: control characters escaped, long
 * strings cut short with "...". */
static const char *quoted(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	out[k++] = '"';
	for (; *s && k + 8 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (k >= 48) {
			memcpy(out + k, "...", 3);
			k += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out[k++] = '\\';
			out[k++] = 'x';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		} else {
			out[k++] = (char)c;
		}
	}
	out[k++] = '"';
	out[k] = 0;
	return out;
}

/* ---- Lines ----------------------------------------------------------------- */

int reader_more(struct trace_reader *r, char *err, size_t errlen)
{
	size_t avail = r->end - r->pos;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, avail);
		r->base += r->pos;
		r->pos = 0;
		r->end = avail;
	}
	if (r->mem) {
		size_t n = r->mem_len - r->mem_pos < BUF_SIZE - r->end ? r->mem_len - r->mem_pos : BUF_SIZE - r->end;
		memcpy(r->buf + r->end, r->mem + r->mem_pos, n);
		r->mem_pos += n;
		r->end += n;
		r->eof = r->mem_pos == r->mem_len;
		return 0;
	}
	for (;;) {
		ssize_t got = read(r->fd, r->buf + r->end, BUF_SIZE - r->end);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return reader_fail(r, r->binary ? r->base + r->end : 0, err, errlen, "read error: %s",
					   strerror(errno));
		if (got == 0)
			r->eof = true;
		r->end += (size_t)got;
		return 0;
	}
}

/* 1: a line (NUL-terminated in place, without its '\n'); 0: end of input;
 * -1: error. */
static int next_line(struct trace_reader *r, char **line, size_t *len, char *err, size_t errlen)
{
	size_t scanned = 0;  /* bytes after pos already known to hold no '\n' */
	for (;;) {
		char *p = r->buf + r->pos;
		size_t avail = r->end - r->pos;
		char *nl = memchr(p + scanned, '\n', avail - scanned);
		if (nl) {
			size_t n = (size_t)(nl - p);
			r->lineno++;
			if (n > MAX_LINE)
				return reader_fail(r, r->lineno, err, errlen, "line longer than 1 MiB");
			*nl = 0;
			r->pos += n + 1;
			*line = p;
			*len = n;
			return 1;
		}
		scanned = avail;
		if (avail > MAX_LINE)
			return reader_fail(r, r->lineno + 1, err, errlen, "line longer than 1 MiB");
		if (r->eof) {
			if (!avail)
				return 0;
			r->lineno++;
			p[avail] = 0;  /* the buffer has a spare byte at the end */
			r->pos = r->end;
			*line = p;
			*len = avail;
			return 1;
		}
		if (reader_more(r, err, errlen))
			return -1;
	}
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* ---- Values ---------------------------------------------------------------- */

static inline unsigned hexdigit(unsigned char c)
{
	if ((unsigned)(c - '0') < 10u)
		return (unsigned)(c - '0');
	c |= 0x20;
	if ((unsigned)(c - 'a') < 6u)
		return (unsigned)(c - 'a') + 10;
	return 16;
}

/* "0x" (or "0X") and 1 or more hex digits of either case. 0, -1 (not a hex
 * string) or -2 (more than 64 bits). */
static int parse_hex(const char *s, uint64_t *out)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return -1;
	s += 2;
	uint64_t v = 0;
	int sig = 0;  /* significant digits */
	for (; *s; s++) {
		unsigned d = hexdigit((unsigned char)*s);
		if (d > 15)
			return -1;
		if (sig || d)
			sig++;
		v = v << 4 | d;
	}
	if (sig > 16)
		return -2;
	*out = v;
	return 0;
}

/* ---- Records through cJSON ------------------------------------------------- */

#define JSON_EXACT_LIMIT 9007199254740992.0 /* 2^53: JSON integers below are exact doubles */

const char *const trace_key_name[K_COUNT] = {
	"op", "va", "size", "pid", "addr", "len", "prot", "flags", "stack_top", "brk", "child", "code", "n",
	"fd", "offset", "path", "fill", "advice", "value", "uaccess", "switch", "name", "caught", "new_len",
	"new_addr", "cpu", "lazy", "migrated",
};
#define key_name trace_key_name

const struct op_info trace_ops[TR_OP_LAST + 1] = {
	[TR_READ] = {"r", TR_READ, B(K_VA) | B(K_SIZE) | B(K_UACCESS) | B(K_CAUGHT), B(K_VA)},
	[TR_WRITE] = {"w", TR_WRITE, B(K_VA) | B(K_SIZE) | B(K_VALUE) | B(K_UACCESS) | B(K_CAUGHT), B(K_VA)},
	[TR_FETCH] = {"x", TR_FETCH, B(K_VA) | B(K_SIZE) | B(K_CAUGHT), B(K_VA)},
	[TR_EXEC] = {"exec", TR_EXEC, B(K_STACK_TOP) | B(K_BRK), 0},
	[TR_MMAP] = {"mmap", TR_MMAP, B(K_ADDR) | B(K_LEN) | B(K_PROT) | B(K_FLAGS) | B(K_FD) | B(K_OFFSET),
		     B(K_LEN) | B(K_PROT) | B(K_FLAGS)},
	[TR_MUNMAP] = {"munmap", TR_MUNMAP, B(K_ADDR) | B(K_LEN), B(K_ADDR) | B(K_LEN)},
	[TR_MPROTECT] = {"mprotect", TR_MPROTECT, B(K_ADDR) | B(K_LEN) | B(K_PROT), B(K_ADDR) | B(K_LEN) | B(K_PROT)},
	[TR_BRK] = {"brk", TR_BRK, B(K_ADDR), B(K_ADDR)},
	[TR_FORK] = {"fork", TR_FORK, B(K_CHILD) | B(K_SWITCH), B(K_CHILD)},
	[TR_EXIT] = {"exit", TR_EXIT, B(K_CODE), 0},
	[TR_SWITCH] = {"switch", TR_SWITCH, 0, B(K_PID)},
	[TR_INSNS] = {"insns", TR_INSNS, B(K_N), B(K_N)},
	[TR_FILE] = {"file", TR_FILE, B(K_PATH) | B(K_LEN) | B(K_FILL) | B(K_NAME), B(K_PATH) | B(K_LEN)},
	[TR_OPEN] = {"open", TR_OPEN, B(K_PATH) | B(K_FLAGS) | B(K_FD), B(K_PATH) | B(K_FLAGS)},
	[TR_CLOSE] = {"close", TR_CLOSE, B(K_FD), B(K_FD)},
	[TR_MSYNC] = {"msync", TR_MSYNC, B(K_ADDR) | B(K_LEN) | B(K_FLAGS), B(K_ADDR) | B(K_LEN)},
	[TR_MADVISE] = {"madvise", TR_MADVISE, B(K_ADDR) | B(K_LEN) | B(K_ADVICE), B(K_ADDR) | B(K_LEN) | B(K_ADVICE)},
	[TR_MEMLIMIT] = {"memlimit", TR_MEMLIMIT, B(K_LEN), B(K_LEN)},
	[TR_PREAD] = {"pread", TR_PREAD, B(K_FD) | B(K_OFFSET) | B(K_LEN), B(K_FD) | B(K_OFFSET) | B(K_LEN)},
	[TR_PWRITE] = {"pwrite", TR_PWRITE, B(K_FD) | B(K_OFFSET) | B(K_LEN), B(K_FD) | B(K_OFFSET) | B(K_LEN)},
	[TR_FTRUNCATE] = {"ftruncate", TR_FTRUNCATE, B(K_FD) | B(K_LEN), B(K_FD) | B(K_LEN)},
	[TR_FSYNC] = {"fsync", TR_FSYNC, B(K_FD), B(K_FD)},
	[TR_MREMAP] = {"mremap", TR_MREMAP, B(K_ADDR) | B(K_LEN) | B(K_NEW_LEN) | B(K_FLAGS) | B(K_NEW_ADDR),
		       B(K_ADDR) | B(K_LEN) | B(K_NEW_LEN)},
	[TR_CPU] = {"cpu", TR_CPU, B(K_CPU) | B(K_LAZY) | B(K_MIGRATED), B(K_PID) | B(K_CPU)},
};
#define op_table trace_ops

/* Each decoder returns 0, or -1 with msg filled. */
static int bad(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int get_addr(const cJSON *v, const char *key, uint64_t *out, char *msg, size_t n)
{
	int rc = cJSON_IsString(v) ? parse_hex(v->valuestring, out) : -1;
	if (rc == -2)
		return bad(msg, n, "\"%s\" does not fit in 64 bits", key);
	if (rc)
		return bad(msg, n, "\"%s\" must be a hex string like \"0x1000\"", key);
	return 0;
}

static int get_count(const cJSON *v, const char *key, uint64_t *out, char *msg, size_t n)
{
	if (cJSON_IsString(v)) {
		int rc = parse_hex(v->valuestring, out);
		if (rc == -2)
			return bad(msg, n, "\"%s\" does not fit in 64 bits", key);
		if (!rc)
			return 0;
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d >= 0 && d < JSON_EXACT_LIMIT && d == (double)(uint64_t)d) {
			*out = (uint64_t)d;
			return 0;
		}
		if (d >= JSON_EXACT_LIMIT && d <= 1.8e19)
			return bad(msg, n, "\"%s\" is too large for a JSON number: write it as a hex string", key);
	}
	return bad(msg, n, "\"%s\" must be a non-negative integer or a hex string like \"0x1000\"", key);
}

static int get_pid(const cJSON *v, const char *key, int32_t *out, char *msg, size_t n)
{
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	if (!(d >= 1 && d <= INT32_MAX && d == (double)(int32_t)d))
		return bad(msg, n, "\"%s\" must be an integer from 1 to 2147483647", key);
	*out = (int32_t)d;
	return 0;
}

static int get_prot(const cJSON *v, uint32_t *out, char *msg, size_t n)
{
	uint32_t prot = 0;
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	for (; s && *s; s++) {
		uint32_t bit = *s == 'r' ? TR_PROT_R : *s == 'w' ? TR_PROT_W : *s == 'x' ? TR_PROT_X : 0;
		if (!bit || (prot & bit)) {
			s = NULL;
			break;
		}
		prot |= bit;
	}
	if (!s)
		return bad(msg, n, "\"prot\" must be letters from \"rwx\", each at most once, or \"\"");
	*out = prot;
	return 0;
}

struct flag_name {
	const char *name;
	uint32_t bit;
};
static const struct flag_name map_flags[] = {
	{"private", TR_MAP_PRIVATE}, {"shared", TR_MAP_SHARED}, {"anonymous", TR_MAP_ANONYMOUS},
	{"fixed", TR_MAP_FIXED},     {"growsdown", TR_MAP_GROWSDOWN}, {NULL, 0},
};
static const struct flag_name open_flags[] = {
	{"rdonly", TR_O_READ}, {"wronly", TR_O_WRITE}, {"rdwr", TR_O_READ | TR_O_WRITE},
	{"create", TR_O_CREATE}, {"trunc", TR_O_TRUNC}, {NULL, 0},
};
static const struct flag_name msync_flags[] = {
	{"sync", TR_MS_SYNC}, {"async", TR_MS_ASYNC}, {"invalidate", TR_MS_INVALIDATE}, {NULL, 0},
};
static const struct flag_name mremap_flags[] = {
	{"maymove", TR_MREMAP_MAYMOVE}, {"fixed", TR_MREMAP_FIXED}, {"dontunmap", TR_MREMAP_DONTUNMAP}, {NULL, 0},
};

/* A comma-separated set of names from `names`. */
static int get_flag_set(const cJSON *v, const struct flag_name *names, const char *example, uint32_t *out,
			char *msg, size_t n)
{
	if (!cJSON_IsString(v))
		return bad(msg, n, "\"flags\" must be a string like \"%s\"", example);
	uint32_t flags = 0;
	const char *s = v->valuestring;
	for (bool more = *s; more;) {  /* "" has no flags at all (and fails below) */
		size_t len = strcspn(s, ",");
		uint32_t bit = 0;
		const char *name = NULL;
		for (size_t i = 0; names[i].name; i++) {
			if (strlen(names[i].name) == len && !memcmp(s, names[i].name, len)) {
				bit = names[i].bit;
				name = names[i].name;
			}
		}
		if (!bit) {
			char word[64], q[80];
			snprintf(word, sizeof word, "%.*s", (int)(len < 60 ? len : 60), s);
			return bad(msg, n, "unknown flag %s in \"flags\"", quoted(word, q, sizeof q));
		}
		if (flags & bit)
			return bad(msg, n, "flag \"%s\" given twice in \"flags\"", name);
		flags |= bit;
		more = s[len] == ',';  /* after a trailing ',' comes an empty, unknown flag */
		s += len + 1;
	}
	*out = flags;
	return 0;
}

static int get_flags(const cJSON *v, uint32_t *out, char *msg, size_t n)
{
	if (get_flag_set(v, map_flags, "private,anonymous", out, msg, n))
		return -1;
	if (!(*out & TR_MAP_PRIVATE) == !(*out & TR_MAP_SHARED))
		return bad(msg, n, "\"flags\" must include exactly one of \"private\" and \"shared\"");
	return 0;
}

static int get_open_flags(const cJSON *v, uint32_t *out, char *msg, size_t n)
{
	if (get_flag_set(v, open_flags, "rdonly", out, msg, n))
		return -1;
	if (!(*out & (TR_O_READ | TR_O_WRITE)))
		return bad(msg, n, "\"flags\" must include one of \"rdonly\", \"wronly\" and \"rdwr\"");
	return 0;
}

static int get_bool(const cJSON *v, const char *key, bool *out, char *msg, size_t n)
{
	if (!cJSON_IsBool(v))
		return bad(msg, n, "\"%s\" must be true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_fd(const cJSON *v, int32_t *out, char *msg, size_t n)
{
	double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (!(d >= 0 && d <= 1048575 && d == (double)(int32_t)d))
		return bad(msg, n, "\"fd\" must be an integer from 0 to 1048575");
	*out = (int32_t)d;
	return 0;
}

static int get_path(const cJSON *v, const char *key, char *path, char *msg, size_t n)
{
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return bad(msg, n, "\"%s\" must be a non-empty string", key);
	if (strlen(v->valuestring) > TR_PATH_MAX)
		return bad(msg, n, "\"%s\" is longer than %d bytes", key, TR_PATH_MAX);
	strcpy(path, v->valuestring);
	return 0;
}

static int get_fill(const cJSON *v, struct trace_rec *rec, char *msg, size_t n)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	uint64_t byte;
	if (!strcmp(s, "zero"))
		rec->fill = TR_FILL_ZERO;
	else if (!strcmp(s, "offsets"))
		rec->fill = TR_FILL_OFFSETS;
	else if (parse_hex(s, &byte) == 0 && byte < 256) {
		rec->fill = TR_FILL_BYTE;
		rec->fill_byte = (uint8_t)byte;
	} else
		return bad(msg, n, "\"fill\" must be \"zero\", \"offsets\" or a byte like \"0x41\"");
	return 0;
}

static int get_advice(const cJSON *v, uint32_t *out, char *msg, size_t n)
{
	static const char *const names[] = {
		[TR_ADV_NORMAL] = "normal", [TR_ADV_WILLNEED] = "willneed", [TR_ADV_DONTNEED] = "dontneed",
		[TR_ADV_HUGEPAGE] = "hugepage", [TR_ADV_NOHUGEPAGE] = "nohugepage", [TR_ADV_COLD] = "cold",
		[TR_ADV_PAGEOUT] = "pageout",
	};
	for (uint32_t i = 0; cJSON_IsString(v) && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(v->valuestring, names[i])) {
			*out = i;
			return 0;
		}
	return bad(msg, n, "\"advice\" must be one of normal, willneed, dontneed, hugepage, nohugepage, cold, pageout");
}

static int decode_record(const cJSON *j, struct trace_rec *rec, char *path, char *name, char *msg, size_t n)
{
	char q[80];
	if (!cJSON_IsObject(j))
		return bad(msg, n, "a record must be a JSON object");
	const cJSON *opv = cJSON_GetObjectItemCaseSensitive(j, "op");
	if (!opv)
		return bad(msg, n, "missing field \"op\"");
	if (!cJSON_IsString(opv))
		return bad(msg, n, "\"op\" must be a string");
	const struct op_info *oi = NULL;
	for (size_t i = 0; i < sizeof op_table / sizeof op_table[0] && !oi; i++)
		if (!strcmp(opv->valuestring, op_table[i].name))
			oi = &op_table[i];
	if (!oi)
		return bad(msg, n, "unknown op %s", quoted(opv->valuestring, q, sizeof q));

	const cJSON *f[K_COUNT] = {0};
	uint32_t allowed = oi->allowed | B(K_OP) | B(K_PID);
	for (const cJSON *it = j->child; it; it = it->next) {
		int k = 0;
		while (k < K_COUNT && strcmp(it->string, key_name[k]))
			k++;
		if (k == K_COUNT)
			return bad(msg, n, "unknown key %s", quoted(it->string, q, sizeof q));
		if (!(allowed & B(k)))
			return bad(msg, n, "unknown key \"%s\" for op \"%s\"", key_name[k], oi->name);
		if (f[k])
			return bad(msg, n, "duplicate key \"%s\"", key_name[k]);
		f[k] = it;
	}
	for (int k = 0; k < K_COUNT; k++)
		if ((oi->required & B(k)) && !f[k])
			return bad(msg, n, "missing field \"%s\"", key_name[k]);

	*rec = (struct trace_rec){.op = oi->op, .pid = -1, .fd = -1};
	if (f[K_PID] && get_pid(f[K_PID], "pid", &rec->pid, msg, n))
		return -1;
	switch (oi->op) {
	case TR_READ:
	case TR_WRITE:
	case TR_FETCH:
		if (get_addr(f[K_VA], "va", &rec->va, msg, n))
			return -1;
		rec->len = 1;
		if (f[K_SIZE]) {
			if (get_count(f[K_SIZE], "size", &rec->len, msg, n))
				return -1;
			if (rec->len < 1 || rec->len > 4096)
				return bad(msg, n, "\"size\" must be 1 to 4096, not %" PRIu64, rec->len);
		}
		if (f[K_VALUE]) {
			if (get_addr(f[K_VALUE], "value", &rec->value, msg, n))
				return -1;
			if (rec->len > 8 || (rec->len < 8 && rec->value >> (8 * rec->len)))
				return bad(msg, n, "\"value\" must fit in the access's size (at most 8 bytes)");
			rec->has_value = true;
		}
		if (f[K_UACCESS] && get_bool(f[K_UACCESS], "uaccess", &rec->uaccess, msg, n))
			return -1;
		if (f[K_CAUGHT] && get_bool(f[K_CAUGHT], "caught", &rec->caught, msg, n))
			return -1;
		break;
	case TR_EXEC:
		if (f[K_STACK_TOP] && get_addr(f[K_STACK_TOP], "stack_top", &rec->stack_top, msg, n))
			return -1;
		if (f[K_BRK] && get_addr(f[K_BRK], "brk", &rec->brk, msg, n))
			return -1;
		break;
	case TR_MMAP:
	case TR_MUNMAP:
	case TR_MPROTECT:
		if (f[K_ADDR] && get_addr(f[K_ADDR], "addr", &rec->va, msg, n))
			return -1;
		if (get_count(f[K_LEN], "len", &rec->len, msg, n))
			return -1;
		if (f[K_PROT] && get_prot(f[K_PROT], &rec->prot, msg, n))
			return -1;
		if (oi->op == TR_MMAP && get_flags(f[K_FLAGS], &rec->flags, msg, n))
			return -1;
		if (f[K_FD] && get_fd(f[K_FD], &rec->fd, msg, n))
			return -1;
		if (f[K_OFFSET] && get_addr(f[K_OFFSET], "offset", &rec->offset, msg, n))
			return -1;
		if (f[K_OFFSET] && !f[K_FD])
			return bad(msg, n, "\"offset\" needs an \"fd\"");
		if (f[K_FD] && (rec->flags & TR_MAP_ANONYMOUS))
			return bad(msg, n, "an anonymous mapping takes no \"fd\"");
		break;
	case TR_MSYNC:
	case TR_MADVISE:
		if (get_addr(f[K_ADDR], "addr", &rec->va, msg, n) || get_count(f[K_LEN], "len", &rec->len, msg, n))
			return -1;
		if (oi->op == TR_MSYNC) {
			rec->flags = TR_MS_SYNC;
			if (f[K_FLAGS] && get_flag_set(f[K_FLAGS], msync_flags, "sync", &rec->flags, msg, n))
				return -1;
		} else if (get_advice(f[K_ADVICE], &rec->advice, msg, n)) {
			return -1;
		}
		break;
	case TR_MREMAP:
		if (get_addr(f[K_ADDR], "addr", &rec->va, msg, n) || get_count(f[K_LEN], "len", &rec->len, msg, n) ||
		    get_count(f[K_NEW_LEN], "new_len", &rec->new_len, msg, n))
			return -1;
		if (f[K_FLAGS] && get_flag_set(f[K_FLAGS], mremap_flags, "maymove", &rec->flags, msg, n))
			return -1;
		if (f[K_NEW_ADDR] && get_addr(f[K_NEW_ADDR], "new_addr", &rec->new_addr, msg, n))
			return -1;
		break;
	case TR_FILE:
		if (get_path(f[K_PATH], "path", path, msg, n) || get_count(f[K_LEN], "len", &rec->len, msg, n))
			return -1;
		if (rec->len > TR_FILE_MAX)
			return bad(msg, n, TR_FILE_TOO_BIG);
		if (f[K_FILL] && get_fill(f[K_FILL], rec, msg, n))
			return -1;
		if (f[K_NAME] && get_path(f[K_NAME], "name", name, msg, n))
			return -1;
		rec->path = path;
		rec->name = f[K_NAME] ? name : NULL;
		break;
	case TR_OPEN:
		if (get_path(f[K_PATH], "path", path, msg, n) || get_open_flags(f[K_FLAGS], &rec->flags, msg, n))
			return -1;
		if (f[K_FD] && get_fd(f[K_FD], &rec->fd, msg, n))
			return -1;
		rec->path = path;
		break;
	case TR_CLOSE:
		if (get_fd(f[K_FD], &rec->fd, msg, n))
			return -1;
		break;
	case TR_MEMLIMIT:
		if (get_count(f[K_LEN], "len", &rec->len, msg, n))
			return -1;
		break;
	case TR_BRK:
		if (get_addr(f[K_ADDR], "addr", &rec->va, msg, n))
			return -1;
		break;
	case TR_FORK: {
		if (get_pid(f[K_CHILD], "child", &rec->child, msg, n))
			return -1;
		bool sw = true;
		if (f[K_SWITCH] && get_bool(f[K_SWITCH], "switch", &sw, msg, n))
			return -1;
		rec->stay = !sw;
		break;
	}
	case TR_PREAD:
	case TR_PWRITE:
	case TR_FTRUNCATE:
	case TR_FSYNC:
		if (get_fd(f[K_FD], &rec->fd, msg, n))
			return -1;
		if (f[K_OFFSET] && get_addr(f[K_OFFSET], "offset", &rec->offset, msg, n))
			return -1;
		if (f[K_LEN] && get_count(f[K_LEN], "len", &rec->len, msg, n))
			return -1;
		break;
	case TR_EXIT:
		if (f[K_CODE]) {
			double d = cJSON_IsNumber(f[K_CODE]) ? f[K_CODE]->valuedouble : 0.5;
			if (!(d >= INT32_MIN && d <= INT32_MAX && d == (double)(int32_t)d))
				return bad(msg, n, "\"code\" must be an integer");
			rec->code = (int32_t)d;
		}
		break;
	case TR_SWITCH:
		break;
	case TR_CPU: {
		uint64_t cpu;
		if (get_count(f[K_CPU], "cpu", &cpu, msg, n))
			return -1;
		if (cpu >= 64)
			return bad(msg, n, "\"cpu\" must be 0 to 63");
		rec->cpu = (uint32_t)cpu;
		if (f[K_LAZY] && get_count(f[K_LAZY], "lazy", &rec->lazy, msg, n))
			return -1;
		if (rec->lazy >> rec->cpu & 1)
			return bad(msg, n, "\"lazy\" names the CPU the turn runs on");
		if (f[K_MIGRATED] && get_bool(f[K_MIGRATED], "migrated", &rec->migrated, msg, n))
			return -1;
		break;
	}
	case TR_INSNS:
		if (get_count(f[K_N], "n", &rec->len, msg, n))
			return -1;
		break;
	}
	return 0;
}

/* Parses one JSON line; NULL with msg filled if it is not valid JSON. */
static cJSON *parse_json(const char *line, size_t len, char *msg, size_t n)
{
	if (memchr(line, 0, len)) {
		bad(msg, n, "malformed JSON (a NUL byte)");
		return NULL;
	}
	/* With require_null_terminated, cJSON wants the NUL inside the length. */
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(line, len + 1, &end, 1);
	if (!j)
		bad(msg, n, "malformed JSON");
	return j;
}

/* ---- Records without cJSON -------------------------------------------------- */

/* The canonical access line, {"op":"r","va":"0x1000","size":8} with an
 * optional ,"uaccess":true (not for "x") and ,"pid":N before the brace. Anything else, even valid, is left to
 * cJSON: false. */
static inline bool fast_access(const char *s, size_t len, struct trace_rec *rec)
{
	if (len < 30 || memcmp(s, "{\"op\":\"", 7) != 0)
		return false;
	enum trace_op op;
	switch (s[7]) {
	case 'r': op = TR_READ; break;
	case 'w': op = TR_WRITE; break;
	case 'x': op = TR_FETCH; break;
	default: return false;
	}
	if (memcmp(s + 8, "\",\"va\":\"0x", 10) != 0)
		return false;
	const char *p = s + 18, *e = s + len, *h = p;
	uint64_t va = 0;
	for (unsigned d; p < e && (d = hexdigit((unsigned char)*p)) < 16; p++)
		va = va << 4 | d;
	if (p == h || p - h > 16 || e - p < 11 || memcmp(p, "\",\"size\":", 9) != 0)
		return false;
	p += 9;
	if (*p < '1' || *p > '9')
		return false;
	uint32_t size = 0;
	for (h = p; p < e && (unsigned)(*p - '0') < 10u && p - h < 5; p++)
		size = size * 10 + (uint32_t)(*p - '0');
	if (size > 4096)
		return false;
	bool uaccess = false;
	if (op != TR_FETCH && e - p >= 15 && !memcmp(p, ",\"uaccess\":true", 15)) {
		uaccess = true;
		p += 15;
	}
	int32_t pid = -1;
	if (p < e && *p == ',') {
		if (e - p < 9 || memcmp(p, ",\"pid\":", 7) != 0)
			return false;
		p += 7;
		if (*p < '1' || *p > '9')
			return false;
		uint64_t v = 0;
		for (h = p; p < e && (unsigned)(*p - '0') < 10u && p - h < 11; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		if (v > INT32_MAX)
			return false;
		pid = (int32_t)v;
	}
	if (p + 1 != e || *p != '}')
		return false;
	*rec = (struct trace_rec){.op = op, .pid = pid, .va = va, .len = size, .fd = -1, .uaccess = uaccess};
	return true;
}

bool trace_line_fast(const char *s, size_t len, struct trace_rec *rec)
{
	return fast_access(s, len, rec);
}

int trace_line_decode(const char *line, size_t len, struct trace_rec *rec, char *path, char *name, char *msg,
		      size_t n)
{
	cJSON *j = parse_json(line, len, msg, n);
	int rc = j ? decode_record(j, rec, path, name, msg, n) : -1;
	cJSON_Delete(j);
	return rc;
}

/* ---- The reader ------------------------------------------------------------ */

static int read_header(struct trace_reader *r, char *err, size_t errlen)
{
	char *line;
	size_t len;
	int rc;
	while ((rc = next_line(r, &line, &len, err, errlen)) == 1) {
		if (r->lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
			line += 3;  /* a UTF-8 byte-order mark */
			len -= 3;
		}
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		if (!is_blank(line, len))
			break;
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		return reader_fail(r, r->lineno ? r->lineno : 1, err, errlen,
			       "missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}: the file is empty");
	char msg[512], q[80];
	cJSON *j = parse_json(line, len, msg, sizeof msg);
	if (!j)
		return reader_fail(r, r->lineno, err, errlen, "%s", msg);
	const cJSON *format = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "format") : NULL;
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "version");
	const cJSON *arch = cJSON_GetObjectItemCaseSensitive(j, "arch");
	const cJSON *comment = cJSON_GetObjectItemCaseSensitive(j, "comment");
	const cJSON *recorded = cJSON_GetObjectItemCaseSensitive(j, "recorded");
	rc = -1;
	if (!format) {
		bad(msg, sizeof msg, "missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}");
	} else if (!cJSON_IsString(format) || strcmp(format->valuestring, "mmusim-trace")) {
		bad(msg, sizeof msg, "format is %s, not \"mmusim-trace\"",
		    cJSON_IsString(format) ? quoted(format->valuestring, q, sizeof q) : "not a string");
	} else if (!version) {
		bad(msg, sizeof msg, "missing field \"version\"");
	} else if (!cJSON_IsNumber(version)) {
		bad(msg, sizeof msg, "\"version\" must be the integer 1");
	} else if (version->valuedouble != 1) {
		bad(msg, sizeof msg, "unsupported version %g (this reader knows version 1)", version->valuedouble);
	} else if (!arch) {
		bad(msg, sizeof msg, "missing field \"arch\"");
	} else if (!cJSON_IsString(arch) || !mmu_arch_by_name(arch->valuestring, &r->arch)) {
		bad(msg, sizeof msg, "unknown arch %s: must be \"x86-64\" or \"aarch64\"",
		    cJSON_IsString(arch) ? quoted(arch->valuestring, q, sizeof q) : "(not a string)");
	} else if (comment && !cJSON_IsString(comment)) {
		bad(msg, sizeof msg, "\"comment\" must be a string");
	} else if (recorded && !cJSON_IsBool(recorded)) {
		bad(msg, sizeof msg, "\"recorded\" must be true or false");
	} else {
		rc = 0;
		int seen = 0;
		for (const cJSON *it = j->child; it && !rc; it = it->next) {
			static const char *const hkeys[] = {"format", "version", "arch", "comment", "recorded"};
			int k = 0;
			while (k < 5 && strcmp(it->string, hkeys[k]))
				k++;
			if (k == 5)
				rc = bad(msg, sizeof msg, "unknown key %s in the header", quoted(it->string, q, sizeof q));
			else if (seen & (1 << k))
				rc = bad(msg, sizeof msg, "duplicate key \"%s\" in the header", hkeys[k]);
			seen |= 1 << k;
		}
		r->recorded = cJSON_IsTrue(recorded);
		if (!rc && comment && !(r->comment = strdup(comment->valuestring)))
			rc = bad(msg, sizeof msg, "out of memory");
	}
	cJSON_Delete(j);
	if (rc)
		return reader_fail(r, r->lineno, err, errlen, "%s", msg);
	r->rec_line = r->lineno;
	return 0;
}

uint64_t trace_offset(const struct trace_reader *r)
{
	return r->base + r->pos;
}

/* A reader of `name` with nothing read yet; NULL when out of memory. */
static struct trace_reader *reader_new(const char *name, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof *r);
	if (r) {
		r->name = strdup(name);
		r->buf = malloc(BUF_SIZE + 1);
	}
	if (!r || !r->name || !r->buf) {
		snprintf(err, errlen, "%s: out of memory", name);
		trace_close(r);
		return NULL;
	}
	return r;
}

/* Reads the header of whichever form the input is: a binary trace starts
 * with BIN_MAGIC's first byte, which no JSON text can start with. */
static struct trace_reader *start(struct trace_reader *r, char *err, size_t errlen)
{
	while (r->end == 0 && !r->eof)
		if (reader_more(r, err, errlen)) {
			trace_close(r);
			return NULL;
		}
	r->binary = r->end > 0 && r->buf[0] == BIN_MAGIC[0];
	if (r->binary ? bin_read_header(r, err, errlen) : read_header(r, err, errlen)) {
		trace_close(r);
		return NULL;
	}
	return r;
}

struct trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	struct trace_reader *r = reader_new(is_stdin ? "<stdin>" : path, err, errlen);
	if (!r)
		return NULL;
	if (is_stdin) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			trace_close(r);
			return NULL;
		}
		r->own_fd = true;
	}
	return start(r, err, errlen);
}

struct trace_reader *trace_open_buffer(const void *data, size_t len, const char *name, char *err, size_t errlen)
{
	struct trace_reader *r = reader_new(name, err, errlen);
	if (!r)
		return NULL;
	r->fd = -1;
	r->mem = data ? data : (const uint8_t *)"";
	r->mem_len = data ? len : 0;
	return start(r, err, errlen);
}

bool trace_is_binary(const struct trace_reader *r)
{
	return r->binary;
}

const char *trace_comment(const struct trace_reader *r)
{
	return r->comment;
}

enum mmu_arch trace_arch(const struct trace_reader *r)
{
	return r->arch;
}

bool trace_recorded(const struct trace_reader *r)
{
	return r->recorded;
}

int trace_next(struct trace_reader *r, struct trace_rec *rec, char *err, size_t errlen)
{
	if (r->failed) {
		if (err && errlen)
			snprintf(err, errlen, "%s", r->errmsg);
		return -1;
	}
	if (r->done)
		return 0;
	if (r->binary)
		return bin_next(r, rec, err, errlen);
	for (;;) {
		char *line;
		size_t len;
		int rc = next_line(r, &line, &len, err, errlen);
		if (rc <= 0) {
			r->done = rc == 0;
			return rc;
		}
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		if (fast_access(line, len, rec)) {
			r->rec_line = r->lineno;
			return 1;
		}
		if (is_blank(line, len))
			continue;
		char msg[512];
		if (trace_line_decode(line, len, rec, r->path, r->fname, msg, sizeof msg))
			return reader_fail(r, r->lineno, err, errlen, "%s", msg);
		r->rec_line = r->lineno;
		return 1;
	}
}

uint64_t trace_lineno(const struct trace_reader *r)
{
	return r->rec_line;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->name);
	free(r->comment);
	free(r->buf);
	free(r);
}
