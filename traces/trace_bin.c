/* The compact binary trace form (docs/trace-format.md, "Binary form"):
 * encoding for the writer, decoding for the reader. An access is a tag byte
 * and its address as a zigzag LEB128 delta from the previous access of its
 * kind (data or fetch): 2 to 4 bytes for most. Every other record is a tag
 * byte, a mask of the JSON keys its canonical line has, and their values,
 * so that a binary trace says exactly what its JSON Lines source says; the
 * reader applies the JSON reader's rules (keys each op allows and requires,
 * ranges) and refuses anything else with "NAME:OFFSET: reason". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/reader.h"
#include "traces/trace_bin.h"

#define BIN_VERSION 1
#define BIN_ARCH_X86_64 1
#define BIN_ARCH_AARCH64 2
#define BIN_RECORDED 1u        /* header flag: "recorded": true */
#define BIN_MAX_COMMENT MAX_LINE

/* Tag byte. Accesses: the op in bits 0-1 (0 r, 1 w, 2 x), size - 1 in bits
 * 2-4, bit 5 an extension byte follows, bits 6-7 zero. Other records: 3 in
 * bits 0-1, the op (enum trace_op) above. */
#define TAG_OTHER 3u
#define TAG_EXT 0x20u
#define TAG_RESERVED 0xC0u
#define TAG_END 0xFFu          /* the last record: the number of records before it */
/* The extension byte of an access: which optional fields follow. */
#define EXT_SIZE 1u            /* a size over 8 as a varint (the tag's size bits zero) */
#define EXT_VALUE 2u
#define EXT_UACCESS 4u
#define EXT_CAUGHT 8u
#define EXT_PID 16u
#define EXT_RESERVED 0xE0u

/* ---- Encoding --------------------------------------------------------------- */

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

size_t bin_header(uint8_t *out, enum mmu_arch arch, bool recorded, size_t comment_len)
{
	memcpy(out, BIN_MAGIC, BIN_MAGIC_LEN);
	out[8] = BIN_VERSION;
	out[9] = arch == ARCH_AARCH64 ? BIN_ARCH_AARCH64 : BIN_ARCH_X86_64;
	out[10] = recorded ? BIN_RECORDED : 0;
	return (size_t)(put_varint(out + 11, comment_len) - out);
}

size_t bin_end(uint8_t *out, uint64_t records)
{
	out[0] = TAG_END;
	return (size_t)(put_varint(out + 1, records) - out);
}

static uint8_t *put_string(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	p = put_varint(p, n);
	memcpy(p, s, n);
	return p + n;
}

static uint8_t *encode_access(const struct trace_rec *r, uint64_t last_va[2], uint8_t *p)
{
	uint64_t *last = &last_va[r->op == TR_FETCH];
	bool small = r->len >= 1 && r->len <= 8;
	/* The keys the canonical line has (trace_write.c): value only on a write. */
	uint8_t ext = (small ? 0 : EXT_SIZE) | (r->op == TR_WRITE && r->has_value ? EXT_VALUE : 0) |
		      (r->uaccess ? EXT_UACCESS : 0) | (r->caught ? EXT_CAUGHT : 0) | (r->pid >= 0 ? EXT_PID : 0);
	*p++ = (uint8_t)((unsigned)r->op | (small ? (unsigned)(r->len - 1) << 2 : 0) | (ext ? TAG_EXT : 0));
	if (ext)
		*p++ = ext;
	p = put_varint(p, zigzag((int64_t)(r->va - *last)));
	*last = r->va;
	if (ext & EXT_SIZE)
		p = put_varint(p, r->len);
	if (ext & EXT_VALUE)
		p = put_varint(p, r->value);
	if (ext & EXT_PID)
		p = put_varint(p, (uint64_t)(uint32_t)r->pid);
	return p;
}

/* The keys of the canonical line of a record that is not an access
 * (trace_write.c's format_line says which it writes). */
static uint32_t canonical_keys(const struct trace_rec *r)
{
	uint32_t k = r->pid >= 0 ? B(K_PID) : 0;
	switch (r->op) {
	case TR_READ:
	case TR_WRITE:
	case TR_FETCH:
		break;
	case TR_EXEC:
		k |= (r->stack_top ? B(K_STACK_TOP) : 0) | (r->brk ? B(K_BRK) : 0);
		break;
	case TR_MMAP:
		k |= B(K_ADDR) | B(K_LEN) | B(K_PROT) | B(K_FLAGS);
		if (!(r->flags & TR_MAP_ANONYMOUS) && r->fd >= 0)
			k |= B(K_FD) | B(K_OFFSET);
		break;
	case TR_FILE:
		k |= B(K_PATH) | B(K_LEN) | (r->fill != TR_FILL_ZERO ? B(K_FILL) : 0) | (r->name ? B(K_NAME) : 0);
		break;
	case TR_OPEN:
		k |= B(K_PATH) | B(K_FLAGS) | (r->fd >= 0 ? B(K_FD) : 0);
		break;
	case TR_CLOSE:
	case TR_FSYNC:
		k |= B(K_FD);
		break;
	case TR_MSYNC:
		k |= B(K_ADDR) | B(K_LEN) | B(K_FLAGS);
		break;
	case TR_MADVISE:
		k |= B(K_ADDR) | B(K_LEN) | B(K_ADVICE);
		break;
	case TR_MEMLIMIT:
		k |= B(K_LEN);
		break;
	case TR_MREMAP:
		k |= B(K_ADDR) | B(K_LEN) | B(K_NEW_LEN) | (r->flags ? B(K_FLAGS) : 0) | (r->new_addr ? B(K_NEW_ADDR) : 0);
		break;
	case TR_MUNMAP:
		k |= B(K_ADDR) | B(K_LEN);
		break;
	case TR_MPROTECT:
		k |= B(K_ADDR) | B(K_LEN) | B(K_PROT);
		break;
	case TR_BRK:
		k |= B(K_ADDR);
		break;
	case TR_FORK:
		k |= B(K_CHILD) | (r->stay ? B(K_SWITCH) : 0);
		break;
	case TR_PREAD:
	case TR_PWRITE:
		k |= B(K_FD) | B(K_OFFSET) | B(K_LEN);
		break;
	case TR_FTRUNCATE:
		k |= B(K_FD) | B(K_LEN);
		break;
	case TR_EXIT:
		k |= B(K_CODE);
		break;
	case TR_SWITCH:
		k |= B(K_PID);   /* always, as the canonical line has it */
		break;
	case TR_CPU:
		k |= B(K_PID) | B(K_CPU) | (r->lazy ? B(K_LAZY) : 0) | (r->migrated ? B(K_MIGRATED) : 0);
		break;
	case TR_INSNS:
		k |= B(K_N);
		break;
	}
	return k;
}

/* The value of key k: a varint (signed ones zigzag), a string, or nothing
 * (K_SWITCH: present means the parent stays). */
static uint8_t *encode_key(const struct trace_rec *r, int k, uint8_t *p)
{
	switch (k) {
	case K_VA:
	case K_ADDR: return put_varint(p, r->va);
	case K_SIZE:
	case K_LEN:
	case K_N: return put_varint(p, r->len);
	case K_PID: return put_varint(p, (uint64_t)(uint32_t)r->pid);
	case K_CHILD: return put_varint(p, (uint64_t)(uint32_t)r->child);
	case K_CODE: return put_varint(p, zigzag(r->code));
	case K_FD: return put_varint(p, (uint64_t)(uint32_t)r->fd);
	case K_OFFSET: return put_varint(p, r->offset);
	case K_STACK_TOP: return put_varint(p, r->stack_top);
	case K_BRK: return put_varint(p, r->brk);
	case K_PROT: return put_varint(p, r->prot);
	case K_FLAGS: return put_varint(p, r->flags);
	case K_ADVICE: return put_varint(p, r->advice);
	case K_FILL: return put_varint(p, r->fill == TR_FILL_BYTE ? 2u + r->fill_byte : r->fill);
	case K_PATH: return put_string(p, r->path ? r->path : "");
	case K_NAME: return put_string(p, r->name ? r->name : "");
	case K_NEW_LEN: return put_varint(p, r->new_len);
	case K_NEW_ADDR: return put_varint(p, r->new_addr);
	case K_CPU: return put_varint(p, r->cpu);
	case K_LAZY: return put_varint(p, r->lazy);
	default: return p;   /* K_SWITCH, K_MIGRATED: present or not */
	}
}

size_t bin_encoded_max(const struct trace_rec *r)
{
	size_t n = BIN_FIXED_MAX;
	if (r->op == TR_FILE || r->op == TR_OPEN)
		n += (r->path ? strlen(r->path) : 0) + (r->name ? strlen(r->name) : 0);
	return n;
}

size_t bin_encode(const struct trace_rec *r, uint64_t last_va[2], uint8_t *out)
{
	uint8_t *p = out;
	if (r->op <= TR_FETCH)
		return (size_t)(encode_access(r, last_va, p) - out);
	uint32_t keys = canonical_keys(r);
	*p++ = (uint8_t)(TAG_OTHER | (unsigned)r->op << 2);
	p = put_varint(p, keys);
	for (int k = 1; k < K_COUNT; k++)
		if (keys & B(k))
			p = encode_key(r, k, p);
	return (size_t)(p - out);
}

/* ---- Decoding --------------------------------------------------------------- */

/* A cursor over one record's bytes, and where the record started (for
 * messages). */
struct cursor {
	const uint8_t *p, *end;
	uint64_t at;
	const char *why;   /* set when a read failed */
};

static bool get_varint_slow(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (c->p == c->end) {
			c->why = "truncated record";
			return false;
		}
		uint8_t b = *c->p++;
		if (shift == 63 && b > 1) {
			c->why = "varint does not fit in 64 bits";
			return false;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	c->why = "varint longer than 10 bytes";
	return false;
}

static inline bool get_varint(struct cursor *c, uint64_t *out)
{
	if (c->p < c->end && *c->p < 0x80) {   /* one byte: most deltas and fields */
		*out = *c->p++;
		return true;
	}
	if (c->end - c->p >= 2 && c->p[1] < 0x80) {
		*out = (uint64_t)(c->p[0] & 0x7f) | (uint64_t)c->p[1] << 7;
		c->p += 2;
		return true;
	}
	return get_varint_slow(c, out);
}

/* The JSON reader's ranges. */
static bool get_ranged(struct cursor *c, uint64_t lo, uint64_t hi, const char *what, uint64_t *out)
{
	if (!get_varint(c, out))
		return false;
	if (*out < lo || *out > hi) {
		c->why = what;
		return false;
	}
	return true;
}

static bool get_string(struct cursor *c, const char *what, char *out)
{
	uint64_t n;
	if (!get_ranged(c, 1, TR_PATH_MAX, what, &n))
		return false;
	if ((uint64_t)(c->end - c->p) < n) {
		c->why = "truncated record";
		return false;
	}
	if (memchr(c->p, 0, n)) {
		c->why = what;
		return false;
	}
	memcpy(out, c->p, n);
	out[n] = 0;
	c->p += n;
	return true;
}

static int fail(struct trace_reader *r, struct cursor *c, char *err, size_t errlen)
{
	return reader_fail(r, c->at, err, errlen, "%s", c->why);
}

/* Fills the buffer so that a whole record is there unless the input ends
 * first. */
static int ensure(struct trace_reader *r, size_t want, char *err, size_t errlen)
{
	while (r->end - r->pos < want && !r->eof)
		if (reader_more(r, err, errlen))
			return -1;
	return 0;
}

int bin_read_header(struct trace_reader *r, char *err, size_t errlen)
{
	if (ensure(r, 11 + 10, err, errlen))
		return -1;
	const uint8_t *h = (const uint8_t *)r->buf;
	size_t n = r->end;
	if (memcmp(h, BIN_MAGIC, n < BIN_MAGIC_LEN ? n : BIN_MAGIC_LEN))
		return reader_fail(r, 0, err, errlen, "not a trace: bad magic (neither JSON Lines nor the binary form)");
	if (n < 11)
		return reader_fail(r, n, err, errlen, "truncated header");
	if (h[8] != BIN_VERSION)
		return reader_fail(r, 8, err, errlen, "unsupported binary version %u (this reader knows version %u)", h[8],
				   BIN_VERSION);
	if (h[9] != BIN_ARCH_X86_64 && h[9] != BIN_ARCH_AARCH64)
		return reader_fail(r, 9, err, errlen, "unknown arch %u: must be 1 (x86-64) or 2 (aarch64)", h[9]);
	if (h[10] & ~BIN_RECORDED)
		return reader_fail(r, 10, err, errlen, "unknown header flags 0x%x", h[10]);
	r->arch = h[9] == BIN_ARCH_AARCH64 ? ARCH_AARCH64 : ARCH_X86_64;
	r->recorded = h[10] & BIN_RECORDED;
	struct cursor c = {.p = h + 11, .end = h + n, .at = 11};
	uint64_t len;
	if (!get_ranged(&c, 0, BIN_MAX_COMMENT, "comment longer than 1 MiB", &len))
		return fail(r, &c, err, errlen);
	r->pos = (size_t)(c.p - h);
	if (len) {
		if (ensure(r, (size_t)len, err, errlen))
			return -1;
		c = (struct cursor){.p = (const uint8_t *)r->buf + r->pos, .end = (const uint8_t *)r->buf + r->end,
				    .at = r->base + r->pos};
		if ((uint64_t)(c.end - c.p) < len)
			return reader_fail(r, c.at, err, errlen, "truncated header (comment)");
		if (memchr(c.p, 0, len))
			return reader_fail(r, c.at, err, errlen, "comment holds a NUL byte");
		if (!(r->comment = strndup((const char *)c.p, len)))
			return reader_fail(r, c.at, err, errlen, "out of memory");
		r->pos += (size_t)len;
	}
	r->rec_line = 0;
	return 0;
}

/* The key a record has that its op does not allow, or that it lacks. */
static bool check_keys(struct cursor *c, enum trace_op op, uint32_t keys, char *msg, size_t n)
{
	const struct op_info *oi = &trace_ops[op];
	uint32_t allowed = oi->allowed | B(K_PID);
	for (int k = 0; k < K_COUNT; k++) {
		if ((keys & B(k)) && !(allowed & B(k)))
			snprintf(msg, n, "key \"%s\" is not allowed for op \"%s\"", trace_key_name[k], oi->name);
		else if (!(keys & B(k)) && (oi->required & B(k)))
			snprintf(msg, n, "missing key \"%s\" for op \"%s\"", trace_key_name[k], oi->name);
		else
			continue;
		c->why = msg;
		return false;
	}
	return true;
}

static bool decode_key(struct trace_reader *r, struct cursor *c, int k, struct trace_rec *rec)
{
	uint64_t v;
	switch (k) {
	case K_ADDR: return get_varint(c, &rec->va);
	case K_LEN:
	case K_N: return get_varint(c, &rec->len);
	case K_OFFSET: return get_varint(c, &rec->offset);
	case K_STACK_TOP: return get_varint(c, &rec->stack_top);
	case K_BRK: return get_varint(c, &rec->brk);
	case K_NEW_LEN: return get_varint(c, &rec->new_len);
	case K_NEW_ADDR: return get_varint(c, &rec->new_addr);
	case K_LAZY: return get_varint(c, &rec->lazy);
	case K_CPU:
		if (!get_ranged(c, 0, 63, "\"cpu\" must be 0 to 63", &v))
			return false;
		rec->cpu = (uint32_t)v;
		return true;
	case K_MIGRATED:
		rec->migrated = true;
		return true;
	case K_PID:
		if (!get_ranged(c, 1, INT32_MAX, "\"pid\" must be 1 to 2147483647", &v))
			return false;
		rec->pid = (int32_t)v;
		return true;
	case K_CHILD:
		if (!get_ranged(c, 1, INT32_MAX, "\"child\" must be 1 to 2147483647", &v))
			return false;
		rec->child = (int32_t)v;
		return true;
	case K_CODE:
		if (!get_varint(c, &v))
			return false;
		if (unzigzag(v) < INT32_MIN || unzigzag(v) > INT32_MAX) {
			c->why = "\"code\" does not fit in 32 bits";
			return false;
		}
		rec->code = (int32_t)unzigzag(v);
		return true;
	case K_FD:
		if (!get_ranged(c, 0, 1048575, "\"fd\" must be 0 to 1048575", &v))
			return false;
		rec->fd = (int32_t)v;
		return true;
	case K_PROT:
		if (!get_ranged(c, 0, TR_PROT_R | TR_PROT_W | TR_PROT_X, "\"prot\" has unknown bits", &v))
			return false;
		rec->prot = (uint32_t)v;
		return true;
	case K_FLAGS:
		if (!get_ranged(c, 0, 0xff, "\"flags\" has unknown bits", &v))
			return false;
		rec->flags = (uint32_t)v;
		return true;
	case K_ADVICE:
		if (!get_ranged(c, 0, TR_ADV_PAGEOUT, "\"advice\" must be 0 to 6", &v))
			return false;
		rec->advice = (uint32_t)v;
		return true;
	case K_FILL:
		if (!get_ranged(c, 0, 257, "\"fill\" must be 0 to 257", &v))
			return false;
		rec->fill = v < 2 ? (uint32_t)v : TR_FILL_BYTE;
		rec->fill_byte = v < 2 ? 0 : (uint8_t)(v - 2);
		return true;
	case K_PATH:
		rec->path = r->path;
		return get_string(c, "\"path\" must be 1 to 1024 bytes, none NUL", r->path);
	case K_NAME:
		rec->name = r->fname;
		return get_string(c, "\"name\" must be 1 to 1024 bytes, none NUL", r->fname);
	case K_SWITCH:
		rec->stay = true;
		return true;
	default:   /* accesses' keys: check_keys let none through */
		c->why = "unexpected key";
		return false;
	}
}

/* What the JSON reader checks of flags, beyond their bits. */
static bool check_flags(struct cursor *c, const struct trace_rec *rec, uint32_t keys)
{
	uint32_t f = rec->flags;
	switch (rec->op) {
	case TR_MMAP:
		if (f & ~(TR_MAP_SHARED | TR_MAP_PRIVATE | TR_MAP_ANONYMOUS | TR_MAP_FIXED | TR_MAP_GROWSDOWN))
			c->why = "\"flags\" has unknown bits";
		else if (!(f & TR_MAP_PRIVATE) == !(f & TR_MAP_SHARED))
			c->why = "\"flags\" must include exactly one of private and shared";
		else if ((keys & B(K_OFFSET)) && !(keys & B(K_FD)))
			c->why = "\"offset\" needs an \"fd\"";
		else if ((keys & B(K_FD)) && (f & TR_MAP_ANONYMOUS))
			c->why = "an anonymous mapping takes no \"fd\"";
		break;
	case TR_OPEN:
		if (f & ~(TR_O_READ | TR_O_WRITE | TR_O_CREATE | TR_O_TRUNC))
			c->why = "\"flags\" has unknown bits";
		else if (!(f & (TR_O_READ | TR_O_WRITE)))
			c->why = "\"flags\" must include reading or writing";
		break;
	case TR_MSYNC:
		if (!f || (f & ~(TR_MS_SYNC | TR_MS_ASYNC | TR_MS_INVALIDATE)))
			c->why = "\"flags\" must be a non-empty set of sync, async, invalidate";
		break;
	case TR_MREMAP:
		if ((keys & B(K_FLAGS)) && (!f || (f & ~(TR_MREMAP_MAYMOVE | TR_MREMAP_FIXED | TR_MREMAP_DONTUNMAP))))
			c->why = "\"flags\" must be a non-empty set of maymove, fixed, dontunmap";
		break;
	case TR_CPU:
		if (rec->lazy >> rec->cpu & 1)
			c->why = "\"lazy\" names the CPU the turn runs on";
		break;
	default:
		break;
	}
	return !c->why;
}

static bool decode_other(struct trace_reader *r, struct cursor *c, unsigned op, struct trace_rec *rec, char *msg,
			 size_t n)
{
	uint64_t keys;
	if (op <= TR_FETCH || op > TR_OP_LAST) {
		snprintf(msg, n, "unknown record type %u", op);
		c->why = msg;
		return false;
	}
	if (!get_varint(c, &keys))
		return false;
	if (keys >> K_COUNT || (keys & B(K_OP))) {
		snprintf(msg, n, "unknown keys in mask 0x%" PRIx64, keys);
		c->why = msg;
		return false;
	}
	if (!check_keys(c, (enum trace_op)op, (uint32_t)keys, msg, n))
		return false;
	*rec = (struct trace_rec){.op = (enum trace_op)op, .pid = -1, .fd = -1};
	if (op == TR_MSYNC)
		rec->flags = TR_MS_SYNC;   /* the JSON reader's default */
	for (int k = 1; k < K_COUNT; k++)
		if ((keys & B(k)) && !decode_key(r, c, k, rec))
			return false;
	if (op == TR_FILE && rec->len > TR_FILE_MAX) {
		c->why = TR_FILE_TOO_BIG;
		return false;
	}
	return check_flags(c, rec, (uint32_t)keys);
}

/* An access with an extension byte (or any the quick path left). */
static bool decode_access(struct trace_reader *r, struct cursor *c, unsigned tag, struct trace_rec *rec, char *msg,
			  size_t n)
{
	enum trace_op op = (enum trace_op)(tag & 3);
	uint8_t ext = 0;
	if (tag & TAG_RESERVED) {
		snprintf(msg, n, "reserved bits set in tag 0x%02x", tag);
		c->why = msg;
		return false;
	}
	if (tag & TAG_EXT) {
		if (c->p == c->end) {
			c->why = "truncated record";
			return false;
		}
		ext = *c->p++;
	}
	uint32_t keys = B(K_VA) | B(K_SIZE) | (ext & EXT_VALUE ? B(K_VALUE) : 0) | (ext & EXT_UACCESS ? B(K_UACCESS) : 0) |
			(ext & EXT_CAUGHT ? B(K_CAUGHT) : 0) | (ext & EXT_PID ? B(K_PID) : 0);
	if (ext & EXT_RESERVED) {
		snprintf(msg, n, "reserved bits set in extension 0x%02x", ext);
		c->why = msg;
		return false;
	}
	if ((ext & EXT_SIZE) && (tag & 0x1c)) {
		c->why = "size given twice (tag and extension)";
		return false;
	}
	if (!check_keys(c, op, keys, msg, n))
		return false;
	uint64_t delta, v;
	if (!get_varint(c, &delta))
		return false;
	uint64_t *last = &r->last_va[op == TR_FETCH];
	*rec = (struct trace_rec){.op = op, .pid = -1, .fd = -1, .va = *last + (uint64_t)unzigzag(delta),
				  .len = ((tag >> 2) & 7) + 1, .uaccess = ext & EXT_UACCESS, .caught = ext & EXT_CAUGHT};
	if ((ext & EXT_SIZE) && !get_ranged(c, 1, 4096, "\"size\" must be 1 to 4096", &rec->len))
		return false;
	if (ext & EXT_VALUE) {
		if (!get_varint(c, &rec->value))
			return false;
		if (rec->len > 8 || (rec->len < 8 && rec->value >> (8 * rec->len))) {
			c->why = "\"value\" must fit in the access's size (at most 8 bytes)";
			return false;
		}
		rec->has_value = true;
	}
	if ((ext & EXT_PID) && !get_ranged(c, 1, INT32_MAX, "\"pid\" must be 1 to 2147483647", &v))
		return false;
	if (ext & EXT_PID)
		rec->pid = (int32_t)v;
	*last = rec->va;
	return true;
}

static int end_of_trace(struct trace_reader *r, struct cursor *c, char *err, size_t errlen)
{
	uint64_t count;
	if (!get_varint(c, &count))
		return fail(r, c, err, errlen);
	if (count != r->records)
		return reader_fail(r, c->at, err, errlen, "the end record counts %" PRIu64 " records, the trace has %" PRIu64,
				   count, r->records);
	r->pos = (size_t)(c->p - (const uint8_t *)r->buf);
	if (ensure(r, 1, err, errlen))
		return -1;
	if (r->pos != r->end)
		return reader_fail(r, r->base + r->pos, err, errlen, "data after the end record");
	r->done = true;
	return 0;
}

int bin_next(struct trace_reader *r, struct trace_rec *rec, char *err, size_t errlen)
{
	if (ensure(r, BIN_MAX_RECORD, err, errlen))
		return -1;
	const uint8_t *buf = (const uint8_t *)r->buf;
	struct cursor c = {.p = buf + r->pos, .end = buf + r->end, .at = r->base + r->pos};
	if (c.p == c.end)
		return reader_fail(r, c.at, err, errlen, "truncated: the trace has no end record");
	unsigned tag = *c.p++;
	/* The common case first: an access with no extension byte. */
	if ((tag & (TAG_OTHER | TAG_EXT | TAG_RESERVED)) < TAG_OTHER) {
		uint64_t delta;
		if (!get_varint(&c, &delta))
			return fail(r, &c, err, errlen);
		enum trace_op op = (enum trace_op)(tag & 3);
		uint64_t *last = &r->last_va[op == TR_FETCH];
		*last += (uint64_t)unzigzag(delta);
		*rec = (struct trace_rec){.op = op, .pid = -1, .fd = -1, .va = *last, .len = ((tag >> 2) & 7) + 1};
	} else if (tag == TAG_END) {
		return end_of_trace(r, &c, err, errlen);
	} else {
		char msg[160];
		bool ok = (tag & 3) == TAG_OTHER ? decode_other(r, &c, tag >> 2, rec, msg, sizeof msg)
						 : decode_access(r, &c, tag, rec, msg, sizeof msg);
		if (!ok)
			return fail(r, &c, err, errlen);
	}
	r->pos = (size_t)(c.p - buf);
	r->rec_line = c.at;
	r->records++;
	return 1;
}

size_t bin_access_run(struct trace_reader *r, struct bin_access *out, size_t max, char *err, size_t errlen)
{
	if (r->failed || r->done || ensure(r, BIN_MAX_RECORD, err, errlen))
		return 0;
	const uint8_t *buf = (const uint8_t *)r->buf;
	struct cursor c = {.p = buf + r->pos, .end = buf + r->end};
	uint64_t last[2] = {r->last_va[0], r->last_va[1]};   /* in registers, not memory, across the run */
	size_t n = 0;
	while (n < max && c.end - c.p >= BIN_ACCESS_MAX) {
		const uint8_t *at = c.p;
		unsigned tag = *c.p++;
		uint64_t delta;
		/* Anything but a plain access, or a bad varint, is bin_next's. */
		if ((tag & (TAG_OTHER | TAG_EXT | TAG_RESERVED)) >= TAG_OTHER || !get_varint(&c, &delta)) {
			c.p = at;
			break;
		}
		unsigned op = tag & 3, fetch = op == TR_FETCH;
		last[fetch] += (uint64_t)unzigzag(delta);
		out[n++] = (struct bin_access){.va = last[fetch], .at = r->base + (uint64_t)(at - buf),
					       .op = (uint8_t)op, .len = (uint8_t)(((tag >> 2) & 7) + 1)};
	}
	r->last_va[0] = last[0];
	r->last_va[1] = last[1];
	r->pos = (size_t)(c.p - buf);
	r->records += n;
	if (n)
		r->rec_line = out[n - 1].at;
	return n;
}
