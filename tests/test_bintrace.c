/* The binary trace form (docs/trace-format.md, "Binary form"): every record
 * kind round-trips through it to the same record and the same canonical
 * line; a file and the same bytes in memory read alike; and malformed input
 * (every truncation, hand-made bad fields, random corruption) is refused
 * with one line "NAME:OFFSET: reason", never a crash or a hang. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "traces/traces.h"

static char tdir[256];

static bool rec_eq(const struct trace_rec *a, const struct trace_rec *b)
{
	return a->op == b->op && a->pid == b->pid && a->va == b->va && a->len == b->len && a->prot == b->prot &&
	       a->flags == b->flags && a->stack_top == b->stack_top && a->brk == b->brk && a->child == b->child &&
	       a->code == b->code && a->fd == b->fd && a->offset == b->offset && a->advice == b->advice &&
	       a->fill == b->fill && a->fill_byte == b->fill_byte && a->has_value == b->has_value &&
	       a->value == b->value && !a->path == !b->path && (!a->path || !strcmp(a->path, b->path)) &&
	       a->uaccess == b->uaccess && a->caught == b->caught && a->stay == b->stay && !a->name == !b->name &&
	       (!a->name || !strcmp(a->name, b->name));
}

/* Every op, with and without its optional fields, as the JSON reader would
 * return them (pid -1 and fd -1 when absent). */
static const struct trace_rec samples[] = {
	{.fd = -1, .op = TR_READ, .pid = -1, .va = 0x601008, .len = 8},
	{.fd = -1, .op = TR_WRITE, .pid = 2, .va = 0x601000, .len = 4},
	{.fd = -1, .op = TR_FETCH, .pid = -1, .va = 0x401000, .len = 4},
	{.fd = -1, .op = TR_READ, .pid = -1, .va = 0, .len = 1},
	{.fd = -1, .op = TR_READ, .pid = 2147483647, .va = ~0ull, .len = 4096},
	{.fd = -1, .op = TR_FETCH, .pid = -1, .va = 0x400ffe, .len = 9, .caught = true},
	{.fd = -1, .op = TR_WRITE, .pid = 3, .va = 0x10, .len = 2, .has_value = true, .value = 0x4142, .uaccess = true},
	{.fd = -1, .op = TR_WRITE, .pid = -1, .va = 0x18, .len = 8, .has_value = true, .value = ~0ull},
	{.fd = -1, .op = TR_READ, .pid = 2, .va = 0x20, .len = 1, .uaccess = true, .caught = true},
	{.fd = -1, .op = TR_EXEC, .pid = -1},
	{.fd = -1, .op = TR_EXEC, .pid = 3, .stack_top = 0x7ffffffff000, .brk = 0x600000},
	{.fd = -1, .op = TR_MMAP, .pid = -1, .va = 0x7f0000000000, .len = 0x4000, .prot = TR_PROT_R | TR_PROT_W,
	 .flags = TR_MAP_PRIVATE | TR_MAP_ANONYMOUS},
	{.fd = -1, .op = TR_MMAP, .pid = 7, .len = 0x1000, .flags = TR_MAP_SHARED | TR_MAP_ANONYMOUS | TR_MAP_FIXED |
								       TR_MAP_GROWSDOWN},
	{.fd = 3, .op = TR_MMAP, .pid = -1, .va = 0x40000000, .len = 0x10000, .prot = 7, .flags = TR_MAP_SHARED,
	 .offset = 0x2000},
	{.fd = -1, .op = TR_MUNMAP, .pid = -1, .va = 0x7f0000001000, .len = 0x1000},
	{.fd = -1, .op = TR_MPROTECT, .pid = 5, .va = 0x601000, .len = 0, .prot = TR_PROT_W | TR_PROT_X},
	{.fd = -1, .op = TR_BRK, .pid = -1, .va = 0x622000},
	{.fd = -1, .op = TR_FORK, .pid = -1, .child = 2},
	{.fd = -1, .op = TR_FORK, .pid = 2, .child = 3, .stay = true},
	{.fd = -1, .op = TR_EXIT, .pid = -1, .code = 0},
	{.fd = -1, .op = TR_EXIT, .pid = 4, .code = -2147483647 - 1},
	{.fd = -1, .op = TR_SWITCH, .pid = 1},
	{.fd = -1, .op = TR_INSNS, .pid = -1, .len = 1200},
	{.fd = -1, .op = TR_INSNS, .pid = 9, .len = ~0ull},
	{.fd = -1, .op = TR_FILE, .pid = -1, .path = "data.bin", .len = 0x100000, .fill = TR_FILL_OFFSETS},
	{.fd = -1, .op = TR_FILE, .pid = -1, .path = "a/b", .len = 1, .fill = TR_FILL_BYTE, .fill_byte = 0x41},
	{.fd = -1, .op = TR_FILE, .pid = -1, .path = "mmusim-file-1", .len = 0xbb4d8, .name = "../bin/a \"b\"\n"},
	{.fd = -1, .op = TR_OPEN, .pid = -1, .path = "data.bin", .flags = TR_O_READ | TR_O_WRITE | TR_O_CREATE},
	{.fd = 0, .op = TR_OPEN, .pid = 2, .path = "x", .flags = TR_O_WRITE | TR_O_TRUNC},
	{.fd = 1048575, .op = TR_CLOSE, .pid = -1},
	{.fd = -1, .op = TR_MSYNC, .pid = -1, .va = 0x40000000, .len = 0x10000, .flags = TR_MS_ASYNC | TR_MS_INVALIDATE},
	{.fd = -1, .op = TR_MADVISE, .pid = -1, .va = 0x40000000, .len = 0x200000, .advice = TR_ADV_PAGEOUT},
	{.fd = -1, .op = TR_MEMLIMIT, .pid = -1, .len = 0x400000},
	{.fd = 0, .op = TR_PREAD, .pid = -1, .offset = 0x40, .len = 0x230},
	{.fd = 3, .op = TR_PWRITE, .pid = 2, .offset = 0, .len = 0x1000},
	{.fd = 0, .op = TR_FTRUNCATE, .pid = -1, .len = 0},
	{.fd = 0, .op = TR_FSYNC, .pid = -1},
	{.fd = -1, .op = TR_MREMAP, .pid = -1, .va = 0x7f0000000000, .len = 0x4000, .new_len = 0x8000},
	{.fd = -1, .op = TR_MREMAP, .pid = 3, .va = 0x7f0000000000, .len = 0x2000, .new_len = 0x2000,
	 .flags = TR_MREMAP_MAYMOVE | TR_MREMAP_FIXED, .new_addr = 0x7f0000100000},
	{.fd = -1, .op = TR_MREMAP, .pid = -1, .va = 0x1000, .len = 0x1000, .new_len = 0x1000,
	 .flags = TR_MREMAP_MAYMOVE | TR_MREMAP_DONTUNMAP},
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

static uint64_t rng, near;
/* The random records start again from the same seed. */
static void restart(void)
{
	rng = 0x9E3779B97F4A7C15ull;
	near = 0x7f0000000000;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The i-th record of the test trace: the samples, then random accesses
 * (near and far deltas, both kinds, sometimes with extras). */
#define NRECS 20000
static struct trace_rec record_at(size_t i)
{
	if (i < NSAMPLES)
		return samples[i];
	uint64_t x = rnd();
	struct trace_rec r = {.fd = -1, .pid = -1, .op = (enum trace_op)(x % 3), .len = 1 + (x >> 2) % 8};
	near += (x >> 8) % 512 - 200;
	r.va = (x >> 20) % 16 ? near : rnd();
	if ((x >> 24) % 32 == 0)
		r.len = 1 + (x >> 30) % 4096;
	if ((x >> 36) % 50 == 0)
		r.pid = 1 + (int32_t)((x >> 40) % 5);
	if (r.op == TR_WRITE && r.len <= 8 && (x >> 44) % 20 == 0) {
		r.has_value = true;
		r.value = rnd() >> (64 - 8 * r.len);
	}
	r.uaccess = r.op != TR_FETCH && (x >> 50) % 40 == 0;
	r.caught = (x >> 56) % 40 == 0;
	return r;
}

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", tdir, name); }

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	*len = 0;
	if (f && !fseek(f, 0, SEEK_END)) {
		long n = ftell(f);
		rewind(f);
		buf = malloc((size_t)n + 1);
		*len = buf ? fread(buf, 1, (size_t)n, f) : 0;
	}
	if (f)
		fclose(f);
	return buf;
}

static int write_trace(const char *path, bool binary, const char *comment, bool recorded)
{
	char err[512];
	struct trace_writer *w = binary ? trace_create_binary(path, ARCH_AARCH64, comment, recorded, err, sizeof err)
			       : recorded ? trace_create_recorded(path, ARCH_AARCH64, comment, err, sizeof err)
					  : trace_create(path, ARCH_AARCH64, comment, err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return -1;
	restart();
	for (size_t i = 0; i < NRECS; i++) {
		struct trace_rec r = record_at(i);
		trace_write(w, &r);
	}
	return trace_finish(w, err, sizeof err);
}

/* Reads a whole trace back: every record as written, then the end. */
static void check_reads_back(struct trace_reader *r, const char *comment, bool recorded)
{
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_EQ(trace_arch(r), ARCH_AARCH64);
	CHECK_EQ(trace_recorded(r), recorded);
	CHECK_STR(trace_comment(r), comment);
	restart();
	struct trace_rec got;
	char err[512];
	size_t differ = 0, i = 0;
	int rc;
	while ((rc = trace_next(r, &got, err, sizeof err)) == 1 && i < NRECS) {
		struct trace_rec want = record_at(i++);
		if (!rec_eq(&got, &want) && differ++ < 3)
			fprintf(stderr, "record %zu differs (op %d)\n", i - 1, (int)want.op);
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(i, NRECS);
	CHECK_EQ(differ, 0);
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 0);
	trace_close(r);
}

static void test_round_trip(void)
{
	char bin[512], jsonl[512], back[512], err[512];
	path_of(bin, sizeof bin, "t.mtr");
	path_of(jsonl, sizeof jsonl, "t.jsonl");
	path_of(back, sizeof back, "back.jsonl");
	const char *comment = "a comment with \"quotes\", a\nnewline and UTF-8: \xc3\xa9";
	CHECK_EQ(write_trace(bin, true, comment, true), 0);
	CHECK_EQ(write_trace(jsonl, false, comment, true), 0);

	struct trace_reader *r = trace_open(bin, err, sizeof err);
	CHECK(r && trace_is_binary(r));
	check_reads_back(r, comment, true);

	/* The same bytes from memory. */
	size_t len;
	char *bytes = read_all(bin, &len);
	check_reads_back(trace_open_buffer(bytes, len, "mem.mtr", err, sizeof err), comment, true);

	/* Binary -> JSON Lines gives the JSON Lines writer's bytes. */
	r = trace_open(bin, err, sizeof err);
	struct trace_writer *w = trace_create_recorded(back, trace_arch(r), trace_comment(r), err, sizeof err);
	struct trace_rec rec;
	while (trace_next(r, &rec, err, sizeof err) == 1)
		trace_write(w, &rec);
	trace_close(r);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	size_t la, lb;
	char *a = read_all(jsonl, &la), *b = read_all(back, &lb);
	CHECK(a && b && la == lb && !memcmp(a, b, la));
	/* And the JSON Lines file reads as the binary one does. */
	r = trace_open(jsonl, err, sizeof err);
	CHECK(r && !trace_is_binary(r));
	check_reads_back(r, comment, true);
	/* Far smaller. */
	CHECK(len * 5 < la);
	free(a);
	free(b);
	free(bytes);
	unlink(bin);
	unlink(jsonl);
	unlink(back);
}

/* An error is one line: "NAME:OFFSET: reason". */
static bool one_line_error(const char *err, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(err, name, n) || err[n] != ':' || err[n + 1] < '0' || err[n + 1] > '9')
		return false;
	const char *p = err + n + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	return p[0] == ':' && p[1] == ' ' && p[2] && !strchr(err, '\n');
}

/* Reads everything; the error (or "" when the trace was good). */
static const char *read_through(const void *data, size_t len, char *err, size_t errlen)
{
	struct trace_reader *r = trace_open_buffer(data, len, "t.mtr", err, errlen);
	if (!r)
		return err;
	struct trace_rec rec;
	int rc;
	size_t n = 0;
	while ((rc = trace_next(r, &rec, err, errlen)) == 1)
		n++;
	trace_close(r);
	return rc ? err : "";
}

/* Every truncation of a good trace is an error, named where it is. */
static void test_truncations(void)
{
	char path[512], err[512];
	path_of(path, sizeof path, "small.mtr");
	char errw[512];
	struct trace_writer *w = trace_create_binary(path, ARCH_X86_64, "c", false, errw, sizeof errw);
	for (size_t i = 0; i < NSAMPLES; i++)
		trace_write(w, &samples[i]);
	CHECK_EQ(trace_finish(w, errw, sizeof errw), 0);
	size_t len;
	uint8_t *bytes = (uint8_t *)read_all(path, &len);
	unlink(path);
	CHECK_STR(read_through(bytes, len, err, sizeof err), "");
	size_t bad = 0;
	for (size_t cut = 0; cut < len; cut++) {
		const char *e = read_through(bytes, cut, err, sizeof err);
		bad += !*e || !one_line_error(e, "t.mtr");
		if (!*e || !one_line_error(e, "t.mtr"))
			fprintf(stderr, "cut at %zu: \"%s\"\n", cut, e);
	}
	CHECK_EQ(bad, 0);
	/* A byte too many. */
	uint8_t *more = malloc(len + 1);
	memcpy(more, bytes, len);
	more[len] = 0;
	CHECK(strstr(read_through(more, len + 1, err, sizeof err), "data after the end record") != NULL);
	free(more);
	free(bytes);
}

/* A binary trace of the given record bytes, with an end record counting
 * `count` records (its varint fits one byte). */
static size_t make(uint8_t *out, const uint8_t *body, size_t n, uint8_t count)
{
	static const uint8_t head[] = {0x89, 'M', 'T', 'R', '\r', '\n', 0x1a, '\n', 1, 1, 0, 0};
	memcpy(out, head, sizeof head);
	memcpy(out + sizeof head, body, n);
	out[sizeof head + n] = 0xff;
	out[sizeof head + n + 1] = count;
	return sizeof head + n + 2;
}

static void expect_error(const uint8_t *data, size_t len, const char *want)
{
	char err[512];
	const char *e = read_through(data, len, err, sizeof err);
	CHECK(one_line_error(e, "t.mtr"));
	CHECK(strstr(e, want) != NULL);
	if (!strstr(e, want))
		fprintf(stderr, "  got \"%s\", expected \"%s\"\n", e, want);
}

#define BODY(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define EXPECT_BODY(count, want, ...)                                       \
	do {                                                                  \
		uint8_t buf_[128];                                            \
		expect_error(buf_, make(buf_, BODY(__VA_ARGS__), count), want); \
	} while (0)
/* Tags of other records: 3 | op << 2; then the varint of their keys' bits
 * (enum trace_key: pid 3, addr 4, len 5, prot 6, flags 7, child 10, code 11,
 * fd 13, offset 14, path 15, fill 16, advice 17). */
#define OTHER(op) (uint8_t)(3 | (op) << 2)

static void test_header_errors(void)
{
	uint8_t good[64];
	size_t n = make(good, BODY(0x00, 0x02), 1);   /* "r" at 0x1, size 1 */
	CHECK_STR(read_through(good, n, (char[512]){0}, 512), "");
	uint8_t b[64];
	memcpy(b, good, n);
	b[3] = 'X';
	expect_error(b, n, "t.mtr:0: not a trace: bad magic");
	expect_error(good, 4, "t.mtr:4: truncated header");
	expect_error(good, 10, "truncated header");
	memcpy(b, good, n);
	b[8] = 2;
	expect_error(b, n, "t.mtr:8: unsupported binary version 2");
	memcpy(b, good, n);
	b[9] = 3;
	expect_error(b, n, "t.mtr:9: unknown arch 3");
	memcpy(b, good, n);
	b[10] = 0x82;
	expect_error(b, n, "t.mtr:10: unknown header flags");
	memcpy(b, good, n);
	b[11] = 5;   /* a comment of 5 bytes that the records make up */
	expect_error(b, 14, "truncated header (comment)");
	static const uint8_t nul_comment[] = {0x89, 'M', 'T', 'R', '\r', '\n', 0x1a, '\n', 1, 1, 0, 2, 'a', 0, 0xff, 0};
	expect_error(nul_comment, sizeof nul_comment, "t.mtr:12: comment holds a NUL byte");
	static const uint8_t huge_comment[] = {0x89, 'M', 'T', 'R', '\r', '\n', 0x1a, '\n', 1, 1, 0, 0xff, 0xff, 0x7f};
	expect_error(huge_comment, sizeof huge_comment, "comment longer than 1 MiB");
	static const uint8_t empty[] = {0};
	expect_error(empty, 0, "t.mtr:");   /* nothing at all: JSON Lines' "empty" message */
}

static void test_record_errors(void)
{
	EXPECT_BODY(1, "t.mtr:12: unknown record type 0", OTHER(0), 0);
	EXPECT_BODY(1, "unknown record type 24", OTHER(24), 0);
	/* cpu (keys pid, cpu, lazy): lazy names the CPU itself */
	EXPECT_BODY(1, "\"lazy\" names the CPU the turn runs on", OTHER(TR_CPU), 0x88, 0x80, 0x80, 0x30, 0x01, 0x01, 0x02);
	EXPECT_BODY(1, "\"cpu\" must be 0 to 63", OTHER(TR_CPU), 0x88, 0x80, 0x80, 0x10, 0x01, 0x40);
	EXPECT_BODY(1, "reserved bits set in tag 0x40", 0x40, 0x02);
	EXPECT_BODY(1, "reserved bits set in extension", 0x20, 0x80, 0x02);
	EXPECT_BODY(1, "varint does not fit in 64 bits", 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
	EXPECT_BODY(1, "size given twice", 0x24, 0x01, 0x02, 0x10);
	EXPECT_BODY(1, "\"size\" must be 1 to 4096", 0x20, 0x01, 0x02, 0x00);
	EXPECT_BODY(1, "\"size\" must be 1 to 4096", 0x20, 0x01, 0x02, 0x81, 0x20);
	EXPECT_BODY(1, "\"value\" must fit", 0x21, 0x02, 0x02, 0x80, 0x02);   /* a 1-byte write of 0x100 */
	EXPECT_BODY(1, "key \"value\" is not allowed for op \"r\"", 0x20, 0x02, 0x02, 0x01);
	EXPECT_BODY(1, "key \"uaccess\" is not allowed for op \"x\"", 0x22, 0x04, 0x02);
	EXPECT_BODY(1, "\"pid\" must be 1 to 2147483647", 0x20, 0x10, 0x02, 0x00);
	EXPECT_BODY(1, "\"pid\" must be 1 to 2147483647", 0x20, 0x10, 0x02, 0x80, 0x80, 0x80, 0x80, 0x08);
	EXPECT_BODY(1, "unknown keys in mask", OTHER(TR_EXEC), 0x01);
	/* mremap with an empty "flags" (keys addr, len, flags, new_len): JSON cannot say that either */
	EXPECT_BODY(1, "\"flags\" must be a non-empty set of maymove", OTHER(TR_MREMAP), 0xb0, 0x81, 0x80, 0x04, 0x01, 0x01,
		    0x00, 0x01);
	EXPECT_BODY(1, "unknown keys in mask", OTHER(TR_EXEC), 0x80, 0x80, 0x80, 0x80, 0x01);   /* bit 28: past K_MIGRATED */
	EXPECT_BODY(1, "key \"child\" is not allowed for op \"exec\"", OTHER(TR_EXEC), 0x80, 0x08, 0x02);   /* keys: 1 << 10 */
	EXPECT_BODY(1, "missing key \"pid\" for op \"switch\"", OTHER(TR_SWITCH), 0x00);
	EXPECT_BODY(1, "missing key \"len\" for op \"mmap\"", OTHER(TR_MMAP), 0x00);
	/* mmap: len, prot, flags (keys 5, 6, 7). */
	EXPECT_BODY(1, "exactly one of private and shared", OTHER(TR_MMAP), 0xe0, 0x01, 0x01, 0x03, 0x03);
	EXPECT_BODY(1, "\"prot\" has unknown bits", OTHER(TR_MMAP), 0xe0, 0x01, 0x01, 0x08, 0x02);
	EXPECT_BODY(1, "\"flags\" has unknown bits", OTHER(TR_MMAP), 0xe0, 0x01, 0x01, 0x01, 0x22);
	EXPECT_BODY(1, "an anonymous mapping takes no \"fd\"", OTHER(TR_MMAP), 0xe0, 0x41, 0x01, 0x01, 0x06, 0x03);
	EXPECT_BODY(1, "\"offset\" needs an \"fd\"", OTHER(TR_MMAP), 0xe0, 0x81, 0x01, 0x01, 0x01, 0x02, 0x00);
	EXPECT_BODY(1, "\"fd\" must be 0 to 1048575", OTHER(TR_CLOSE), 0x80, 0x40, 0x80, 0x80, 0x40);
	EXPECT_BODY(1, "\"code\" does not fit in 32 bits", OTHER(TR_EXIT), 0x80, 0x10, 0x80, 0x80, 0x80, 0x80, 0x10);
	EXPECT_BODY(1, "\"child\" must be 1 to 2147483647", OTHER(TR_FORK), 0x80, 0x08, 0x00);
	/* madvise: addr (4), len (5), advice (17). */
	EXPECT_BODY(1, "\"advice\" must be 0 to 6", OTHER(TR_MADVISE), 0xb0, 0x80, 0x08, 0x00, 0x00, 0x07);
	/* msync: addr, len, flags (4, 5, 7). */
	EXPECT_BODY(1, "non-empty set of sync", OTHER(TR_MSYNC), 0xb0, 0x01, 0x00, 0x00, 0x00);
	/* open: path (15), flags (7). */
	EXPECT_BODY(1, "must include reading or writing", OTHER(TR_OPEN), 0x80, 0x81, 0x02, 0x04, 0x01, 'x');
	EXPECT_BODY(1, "\"path\" must be 1 to 1024 bytes", OTHER(TR_OPEN), 0x80, 0x81, 0x02, 0x01, 0x00);
	EXPECT_BODY(1, "\"path\" must be 1 to 1024 bytes", OTHER(TR_OPEN), 0x80, 0x81, 0x02, 0x01, 0x02, 'a', 0);
	EXPECT_BODY(1, "truncated record", OTHER(TR_OPEN), 0x80, 0x81, 0x02, 0x01, 0x05, 'a', 'b');
	/* file: len (5), path (15), fill (16). */
	EXPECT_BODY(1, "\"fill\" must be 0 to 257", OTHER(TR_FILE), 0xa0, 0x80, 0x06, 0x01, 0x01, 'a', 0x82, 0x02);
	/* len 2^30 + 1: more than a file record may have (replay writes it to disk) */
	EXPECT_BODY(1, "\"len\" is more than the 1 GiB", OTHER(TR_FILE), 0xa0, 0x80, 0x02, 0x81, 0x80, 0x80, 0x80, 0x04, 0x01,
		    'a');
	/* The end record's count. */
	EXPECT_BODY(2, "the end record counts 2 records, the trace has 1", 0x00, 0x02);
	static const uint8_t no_end[] = {0x89, 'M', 'T', 'R', '\r', '\n', 0x1a, '\n', 1, 1, 0, 0, 0x00, 0x02};
	expect_error(no_end, sizeof no_end, "t.mtr:14: truncated: the trace has no end record");
}

/* Random corruption of a good trace: whatever the reader makes of it, it
 * neither crashes nor loops, and an error is one line. */
static void test_corruption(void)
{
	char path[512], err[512];
	path_of(path, sizeof path, "c.mtr");
	CHECK_EQ(write_trace(path, true, NULL, false), 0);
	size_t len;
	uint8_t *good = (uint8_t *)read_all(path, &len), *bad = malloc(len);
	unlink(path);
	size_t malformed = 0, wrong_form = 0;
	for (int round = 0; round < 300; round++) {
		memcpy(bad, good, len);
		for (int k = 0; k < 1 + round % 4; k++)
			bad[12 + rnd() % (len - 12)] ^= (uint8_t)(1u << rnd() % 8);
		const char *e = read_through(bad, len, err, sizeof err);
		malformed += *e != 0;
		wrong_form += *e && !one_line_error(e, "t.mtr");
	}
	CHECK_EQ(wrong_form, 0);
	CHECK(malformed > 0);   /* most flips are caught (the end record counts the records) */
	free(good);
	free(bad);
}

int main(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tdir, sizeof tdir, "%s/test_bintrace.XXXXXX", base);
	if (!mkdtemp(tdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_round_trip();
	test_truncations();
	test_header_errors();
	test_record_errors();
	test_corruption();
	rmdir(tdir);
	return check_report("test_bintrace");
}
