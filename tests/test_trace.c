/* Trace files: every op round-trips through the canonical form byte for
 * byte; every kind of bad input is refused with a one-line message naming
 * its line; valid but non-canonical spellings are accepted; the fast path
 * for access lines agrees with the cJSON path; a real valgrind lackey log
 * converts to a trace that maps everything it touches. The fast path and
 * the cJSON path are compared on the very same lines through traces/line.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "traces/line.h"
#include "traces/traces.h"

#ifndef MMUSIM_TEST_DATA
#define MMUSIM_TEST_DATA "tests/data"
#endif

#define HDR "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\"}\n"

static char tdir[256];

static void t_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tdir, name);
}

static void t_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	fclose(f);
}

static char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap + 1);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* How many entries the temporary directory holds (to see that nothing is
 * left behind). */
static int t_dir_entries(void)
{
	DIR *d = opendir(tdir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* Reads `len` bytes of trace to the end; returns the error with the path
 * taken off ("12: unknown op ..."), or "" if it reads cleanly. */
static const char *t_error_of(const char *text, size_t len)
{
	static char out[1200];
	char path[512], err[1024] = "";
	t_path(path, sizeof path, "err.jsonl");
	t_write_file(path, text, len);
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (r) {
		struct trace_rec rec;
		int rc;
		while ((rc = trace_next(r, &rec, err, sizeof err)) == 1)
			;
		if (rc == 0)
			err[0] = 0;
		else {
			/* The error sticks. */
			char again[1024] = "";
			CHECK_EQ(trace_next(r, &rec, again, sizeof again), -1);
			CHECK_STR(again, err);
		}
		trace_close(r);
	}
	unlink(path);
	size_t pl = strlen(path);
	if (!strncmp(err, path, pl) && err[pl] == ':')
		snprintf(out, sizeof out, "%s", err + pl + 1);
	else
		snprintf(out, sizeof out, "%s", err);
	return out;
}

static const char *t_error(const char *text)
{
	return t_error_of(text, strlen(text));
}

static bool t_rec_eq(const struct trace_rec *a, const struct trace_rec *b)
{
	return a->op == b->op && a->pid == b->pid && a->va == b->va && a->len == b->len && a->prot == b->prot &&
	       a->flags == b->flags && a->stack_top == b->stack_top && a->brk == b->brk && a->child == b->child &&
	       a->code == b->code && a->fd == b->fd && a->offset == b->offset && a->advice == b->advice &&
	       a->fill == b->fill && a->fill_byte == b->fill_byte && a->has_value == b->has_value &&
	       a->value == b->value && !a->path == !b->path && (!a->path || !strcmp(a->path, b->path)) &&
	       a->uaccess == b->uaccess && a->stay == b->stay && !a->name == !b->name &&
	       (!a->name || !strcmp(a->name, b->name));
}

/* Parses one record line (with or without its '\n') through the whole
 * reader: 0 and *rec, or -1 and the error in msg. */
static int t_parse_line(const char *line, struct trace_rec *rec, char *msg, size_t n)
{
	char path[512];
	t_path(path, sizeof path, "one.jsonl");
	size_t len = strlen(line);
	char *text = malloc(sizeof HDR + len + 1);
	memcpy(text, HDR, sizeof HDR - 1);
	memcpy(text + sizeof HDR - 1, line, len + 1);
	t_write_file(path, text, strlen(text));
	free(text);
	msg[0] = 0;
	struct trace_reader *r = trace_open(path, msg, n);
	int rc = -1;
	if (r) {
		rc = trace_next(r, rec, msg, n) == 1 ? 0 : -1;
		/* The strings live in the reader: keep copies past its close. */
		static char keep_path[TR_PATH_MAX + 1], keep_name[TR_PATH_MAX + 1];
		if (!rc && rec->path)
			rec->path = strcpy(keep_path, rec->path);
		if (!rc && rec->name)
			rec->name = strcpy(keep_name, rec->name);
		struct trace_rec extra;
		if (!rc)
			CHECK_EQ(trace_next(r, &extra, msg, n), 0);
		trace_close(r);
	}
	unlink(path);
	return rc;
}

static uint64_t t_rng = 0x9E3779B97F4A7C15ull;

static uint64_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

/* ---- The canonical form ------------------------------------------------------ */

static const struct {
	struct trace_rec rec;
	const char *line;
} canon[] = {
	{{.fd = -1, .op = TR_READ, .pid = -1, .va = 0x601008, .len = 8}, "{\"op\":\"r\",\"va\":\"0x601008\",\"size\":8}"},
	{{.fd = -1, .op = TR_WRITE, .pid = 2, .va = 0x601008, .len = 4}, "{\"op\":\"w\",\"va\":\"0x601008\",\"size\":4,\"pid\":2}"},
	{{.fd = -1, .op = TR_FETCH, .pid = -1, .va = 0x401000, .len = 4}, "{\"op\":\"x\",\"va\":\"0x401000\",\"size\":4}"},
	{{.fd = -1, .op = TR_READ, .pid = -1, .va = 0, .len = 1}, "{\"op\":\"r\",\"va\":\"0x0\",\"size\":1}"},
	{{.fd = -1, .op = TR_READ, .pid = 2147483647, .va = ~0ull, .len = 4096},
	 "{\"op\":\"r\",\"va\":\"0xffffffffffffffff\",\"size\":4096,\"pid\":2147483647}"},
	{{.fd = -1, .op = TR_EXEC, .pid = -1}, "{\"op\":\"exec\"}"},
	{{.fd = -1, .op = TR_EXEC, .pid = 3, .stack_top = 0x7ffffffff000, .brk = 0x600000},
	 "{\"op\":\"exec\",\"stack_top\":\"0x7ffffffff000\",\"brk\":\"0x600000\",\"pid\":3}"},
	{{.fd = -1, .op = TR_EXEC, .pid = -1, .brk = 0x1000}, "{\"op\":\"exec\",\"brk\":\"0x1000\"}"},
	{{.fd = -1, .op = TR_MMAP, .pid = -1, .va = 0x7f0000000000, .len = 0x4000, .prot = TR_PROT_R | TR_PROT_W,
	  .flags = TR_MAP_PRIVATE | TR_MAP_ANONYMOUS},
	 "{\"op\":\"mmap\",\"addr\":\"0x7f0000000000\",\"len\":\"0x4000\",\"prot\":\"rw\",\"flags\":\"private,anonymous\"}"},
	{{.fd = -1, .op = TR_MMAP, .pid = 7, .va = 0, .len = 0x1000, .prot = 0,
	  .flags = TR_MAP_SHARED | TR_MAP_ANONYMOUS | TR_MAP_FIXED | TR_MAP_GROWSDOWN},
	 "{\"op\":\"mmap\",\"addr\":\"0x0\",\"len\":\"0x1000\",\"prot\":\"\",\"flags\":\"shared,anonymous,fixed,growsdown\","
	 "\"pid\":7}"},
	{{.fd = -1, .op = TR_MMAP, .pid = -1, .va = 0x10000, .len = 0x10000, .prot = 7, .flags = TR_MAP_PRIVATE | TR_MAP_FIXED},
	 "{\"op\":\"mmap\",\"addr\":\"0x10000\",\"len\":\"0x10000\",\"prot\":\"rwx\",\"flags\":\"private,fixed\"}"},
	{{.fd = -1, .op = TR_MUNMAP, .pid = -1, .va = 0x7f0000001000, .len = 0x1000},
	 "{\"op\":\"munmap\",\"addr\":\"0x7f0000001000\",\"len\":\"0x1000\"}"},
	{{.fd = -1, .op = TR_MPROTECT, .pid = -1, .va = 0x601000, .len = 0x1000, .prot = TR_PROT_R},
	 "{\"op\":\"mprotect\",\"addr\":\"0x601000\",\"len\":\"0x1000\",\"prot\":\"r\"}"},
	{{.fd = -1, .op = TR_MPROTECT, .pid = 5, .va = 0x601000, .len = 0, .prot = TR_PROT_W | TR_PROT_X},
	 "{\"op\":\"mprotect\",\"addr\":\"0x601000\",\"len\":\"0x0\",\"prot\":\"wx\",\"pid\":5}"},
	{{.fd = -1, .op = TR_BRK, .pid = -1, .va = 0x622000}, "{\"op\":\"brk\",\"addr\":\"0x622000\"}"},
	{{.fd = -1, .op = TR_FORK, .pid = -1, .child = 2}, "{\"op\":\"fork\",\"child\":2}"},
	{{.fd = -1, .op = TR_FORK, .pid = 2, .child = 3}, "{\"op\":\"fork\",\"child\":3,\"pid\":2}"},
	{{.fd = -1, .op = TR_EXIT, .pid = -1, .code = 0}, "{\"op\":\"exit\",\"code\":0}"},
	{{.fd = -1, .op = TR_EXIT, .pid = 4, .code = -11}, "{\"op\":\"exit\",\"code\":-11,\"pid\":4}"},
	{{.fd = -1, .op = TR_SWITCH, .pid = 1}, "{\"op\":\"switch\",\"pid\":1}"},
	{{.fd = -1, .op = TR_CPU, .pid = 2, .cpu = 1}, "{\"op\":\"cpu\",\"pid\":2,\"cpu\":1}"},
	{{.fd = -1, .op = TR_CPU, .pid = 1, .cpu = 3, .lazy = 5, .migrated = true},
	 "{\"op\":\"cpu\",\"pid\":1,\"cpu\":3,\"lazy\":5,\"migrated\":true}"},
	{{.fd = -1, .op = TR_INSNS, .pid = -1, .len = 1200}, "{\"op\":\"insns\",\"n\":1200}"},
	{{.fd = -1, .op = TR_INSNS, .pid = 9, .len = 0}, "{\"op\":\"insns\",\"n\":0,\"pid\":9}"},
	/* From 2^53 on counts are hex strings: JSON numbers stop being exact. */
	{{.fd = -1, .op = TR_INSNS, .pid = -1, .len = 1ull << 53}, "{\"op\":\"insns\",\"n\":\"0x20000000000000\"}"},
	{{.fd = -1, .op = TR_INSNS, .pid = -1, .len = (1ull << 53) - 1}, "{\"op\":\"insns\",\"n\":9007199254740991}"},
	/* What mmusim run --record adds. */
	{{.fd = -1, .op = TR_WRITE, .pid = -1, .va = 0x7ffd0000, .len = 1, .uaccess = true},
	 "{\"op\":\"w\",\"va\":\"0x7ffd0000\",\"size\":1,\"uaccess\":true}"},
	{{.fd = -1, .op = TR_WRITE, .pid = 3, .va = 0x10, .len = 2, .has_value = true, .value = 0x4142, .uaccess = true},
	 "{\"op\":\"w\",\"va\":\"0x10\",\"size\":2,\"value\":\"0x4142\",\"uaccess\":true,\"pid\":3}"},
	{{.fd = -1, .op = TR_READ, .pid = 2, .va = 0x20, .len = 1, .uaccess = true},
	 "{\"op\":\"r\",\"va\":\"0x20\",\"size\":1,\"uaccess\":true,\"pid\":2}"},
	{{.fd = -1, .op = TR_FORK, .pid = -1, .child = 2, .stay = true}, "{\"op\":\"fork\",\"child\":2,\"switch\":false}"},
	{{.fd = 0, .op = TR_PREAD, .pid = -1, .offset = 0x40, .len = 0x230},
	 "{\"op\":\"pread\",\"fd\":0,\"offset\":\"0x40\",\"len\":\"0x230\"}"},
	{{.fd = 3, .op = TR_PWRITE, .pid = 2, .offset = 0, .len = 0x1000},
	 "{\"op\":\"pwrite\",\"fd\":3,\"offset\":\"0x0\",\"len\":\"0x1000\",\"pid\":2}"},
	{{.fd = 0, .op = TR_FTRUNCATE, .pid = -1, .len = 0}, "{\"op\":\"ftruncate\",\"fd\":0,\"len\":\"0x0\"}"},
	{{.fd = 0, .op = TR_FSYNC, .pid = -1}, "{\"op\":\"fsync\",\"fd\":0}"},
	{{.fd = -1, .op = TR_MREMAP, .pid = -1, .va = 0x7f0000000000, .len = 0x4000, .new_len = 0x8000},
	 "{\"op\":\"mremap\",\"addr\":\"0x7f0000000000\",\"len\":\"0x4000\",\"new_len\":\"0x8000\"}"},
	{{.fd = -1, .op = TR_MREMAP, .pid = 2, .va = 0x10000, .len = 0x2000, .new_len = 0x1000,
	  .flags = TR_MREMAP_MAYMOVE | TR_MREMAP_FIXED | TR_MREMAP_DONTUNMAP, .new_addr = 0x20000},
	 "{\"op\":\"mremap\",\"addr\":\"0x10000\",\"len\":\"0x2000\",\"new_len\":\"0x1000\","
	 "\"flags\":\"maymove,fixed,dontunmap\",\"new_addr\":\"0x20000\",\"pid\":2}"},
	{{.fd = -1, .op = TR_FILE, .pid = -1, .path = "mmusim-file-1", .len = 0xbb4d8, .name = "../bin/a \"b\""},
	 "{\"op\":\"file\",\"path\":\"mmusim-file-1\",\"len\":\"0xbb4d8\",\"name\":\"../bin/a \\\"b\\\"\"}"},
};
#define NCANON (sizeof canon / sizeof canon[0])

static void test_canonical_lines(void)
{
	for (size_t i = 0; i < NCANON; i++) {
		char buf[512], expect[512], msg[512];
		size_t n = trace_format(&canon[i].rec, buf, sizeof buf);
		snprintf(expect, sizeof expect, "%s\n", canon[i].line);
		CHECK_STR(buf, expect);
		CHECK_EQ(n, strlen(expect));
		struct trace_rec back;
		CHECK_EQ(t_parse_line(expect, &back, msg, sizeof msg), 0);
		CHECK(t_rec_eq(&back, &canon[i].rec));
		if (!t_rec_eq(&back, &canon[i].rec))
			fprintf(stderr, "  line %s %s\n", canon[i].line, msg);
	}
	/* trace_format truncates like snprintf and still says how long the line is. */
	char small[10];
	size_t n = trace_format(&canon[0].rec, small, sizeof small);
	CHECK_EQ(n, strlen(canon[0].line) + 1);
	CHECK_STR(small, "{\"op\":\"r\"");
}

/* A file of every canonical line read and written again is the same bytes;
 * the records and their line numbers come back as written. */
static void test_round_trip_file(void)
{
	char a[512], b[512], err[1024] = "";
	t_path(a, sizeof a, "canon.jsonl");
	t_path(b, sizeof b, "again.jsonl");
	const char *comment = "round \"trip\" \\ with\ttab, newline\n, \x01 and UTF-8 \xc3\xa9";
	struct trace_writer *w = trace_create(a, ARCH_AARCH64, comment, err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return;
	for (size_t i = 0; i < NCANON; i++)
		trace_write(w, &canon[i].rec);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);

	size_t alen;
	char *text = t_read_file(a, &alen);
	const char *hdr = "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"aarch64\",\"comment\":"
			  "\"round \\\"trip\\\" \\\\ with\\ttab, newline\\n, \\u0001 and UTF-8 \xc3\xa9\"}\n";
	CHECK(text && !strncmp(text, hdr, strlen(hdr)));

	struct trace_reader *r = trace_open(a, err, sizeof err);
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		free(text);
		return;
	}
	CHECK_EQ(trace_arch(r), ARCH_AARCH64);
	CHECK_EQ(trace_lineno(r), 1);
	w = trace_create(b, trace_arch(r), comment, err, sizeof err);
	struct trace_rec rec;
	size_t i = 0;
	int rc;
	while ((rc = trace_next(r, &rec, err, sizeof err)) == 1) {
		CHECK(i < NCANON && t_rec_eq(&rec, &canon[i].rec));
		CHECK_EQ(trace_lineno(r), i + 2);
		trace_write(w, &rec);
		i++;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(i, NCANON);
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), 0);  /* and stays at the end */
	trace_close(r);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	size_t blen;
	char *again = t_read_file(b, &blen);
	CHECK(again && blen == alen && !memcmp(text, again, alen));
	free(text);
	free(again);
	unlink(a);
	unlink(b);
}

/* Many records, so lines straddle the reader's block boundaries. */
static void test_many_records(void)
{
	char p[512], err[1024];
	t_path(p, sizeof p, "many.jsonl");
	struct trace_writer *w = trace_create(p, ARCH_X86_64, NULL, err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return;
	const uint64_t n = 150000;
	uint64_t seed = t_rng;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = t_rand();
		struct trace_rec r = {.fd = -1, .op = (enum trace_op)(x % 3), .pid = (x >> 3) % 4 ? -1 : (int32_t)(x >> 40) + 1,
				      .va = x >> (x % 64), .len = 1 + (x >> 20) % 4096};
		if (i % 1000 == 999)
			r = (struct trace_rec){.fd = -1, .op = TR_INSNS, .pid = -1, .len = x >> 30};
		trace_write(w, &r);
	}
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	struct trace_reader *r = trace_open(p, err, sizeof err);
	CHECK(r != NULL);
	if (!r)
		return;
	t_rng = seed;
	uint64_t i = 0, bad_recs = 0;
	struct trace_rec got;
	while (trace_next(r, &got, err, sizeof err) == 1) {
		uint64_t x = t_rand();
		struct trace_rec e = {.fd = -1, .op = (enum trace_op)(x % 3), .pid = (x >> 3) % 4 ? -1 : (int32_t)(x >> 40) + 1,
				      .va = x >> (x % 64), .len = 1 + (x >> 20) % 4096};
		if (i % 1000 == 999)
			e = (struct trace_rec){.fd = -1, .op = TR_INSNS, .pid = -1, .len = x >> 30};
		bad_recs += !t_rec_eq(&got, &e) || trace_lineno(r) != i + 2;
		i++;
	}
	CHECK_EQ(i, n);
	CHECK_EQ(bad_recs, 0);
	trace_close(r);
	unlink(p);
}

/* ---- Errors --------------------------------------------------------------------- */

static void test_record_errors(void)
{
	static const struct {
		const char *body;  /* after the header line */
		const char *error;
	} cases[] = {
		{"{\"op\":\"frob\"}\n", "2: unknown op \"frob\""},
		{"\n\n{\"op\":\"r\",\"va\":\"0x1\"}\n{\"op\":\"frob\",\"va\":\"0x1\"}\n", "5: unknown op \"frob\""},
		{"{\"op\":\"r\",\"size\":8}\n", "2: missing field \"va\""},
		{"\n{\"op\":\"r\",\"size\":8}\n", "3: missing field \"va\""},
		{"{\"op\":\"r\",\"va\":\"0x1\"}\n\n{\"op\":\"w\",\"va\":4096}\n", "4: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\"}\n\n\n{\"op\":\"r\",\"va\":\"0x1\"\n", "5: malformed JSON"},
		{"{\"va\":\"0x1\"}\n", "2: missing field \"op\""},
		{"{\"op\":1,\"va\":\"0x1\"}\n", "2: \"op\" must be a string"},
		{"{\"op\":\"R\",\"va\":\"0x1\"}\n", "2: unknown op \"R\""},
		{"{\"op\":\"fr\\no\\\"b\"}\n", "2: unknown op \"fr\\x0ao\\\"b\""},
		{"{\"op\":\"r\",\"va\":\"1000\"}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x\"}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x12g\"}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\" 0x12\"}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"-0x12\"}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":null}\n", "2: \"va\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x10000000000000000\"}\n", "2: \"va\" does not fit in 64 bits"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":0}\n", "2: \"size\" must be 1 to 4096, not 0"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":4097}\n", "2: \"size\" must be 1 to 4096, not 4097"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":\"0x1001\"}\n", "2: \"size\" must be 1 to 4096, not 4097"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":-1}\n",
		 "2: \"size\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":1.5}\n",
		 "2: \"size\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":true}\n",
		 "2: \"size\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":\"8\"}\n",
		 "2: \"size\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"foo\":1}\n", "2: unknown key \"foo\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"len\":1}\n", "2: unknown key \"len\" for op \"r\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"va\":\"0x2\"}\n", "2: duplicate key \"va\""},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"pid\":0}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"pid\":2147483648}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"pid\":\"1\"}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"pid\":1.5}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"pid\":-1}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"exec\",\"stack_top\":\"top\"}\n", "2: \"stack_top\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"exec\",\"brk\":6291456}\n", "2: \"brk\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"exec\",\"va\":\"0x1\"}\n", "2: unknown key \"va\" for op \"exec\""},
		{"{\"op\":\"mremap\",\"addr\":\"0x1000\",\"len\":\"0x1000\"}\n", "2: missing field \"new_len\""},
		{"{\"op\":\"mremap\",\"addr\":\"0x1000\",\"len\":\"0x1000\",\"new_len\":\"0x2000\",\"flags\":\"move\"}\n",
		 "2: unknown flag \"move\" in \"flags\""},
		{"{\"op\":\"mremap\",\"addr\":\"0x1000\",\"len\":\"0x1000\",\"new_len\":\"0x2000\",\"prot\":\"r\"}\n",
		 "2: unknown key \"prot\" for op \"mremap\""},
		{"{\"op\":\"mremap\",\"addr\":\"0x1000\",\"len\":\"0x1000\",\"new_len\":\"0x2000\",\"new_addr\":8192}\n",
		 "2: \"new_addr\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"mmap\",\"prot\":\"rw\",\"flags\":\"private,anonymous\"}\n", "2: missing field \"len\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"flags\":\"private,anonymous\"}\n", "2: missing field \"prot\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\"}\n", "2: missing field \"flags\""},
		{"{\"op\":\"mmap\",\"len\":9007199254740992,\"prot\":\"rw\",\"flags\":\"private\"}\n",
		 "2: \"len\" is too large for a JSON number: write it as a hex string"},
		{"{\"op\":\"mmap\",\"len\":\"0x11112222333344445\",\"prot\":\"rw\",\"flags\":\"private\"}\n",
		 "2: \"len\" does not fit in 64 bits"},
		/* found by fuzzing: replay would write 17 GiB to the host disk */
		{"{\"op\":\"file\",\"path\":\"d\",\"len\":\"0x445464748\",\"fill\":\"offsets\"}\n",
		 "2: \"len\" is more than the 1 GiB a file record may have"},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rr\",\"flags\":\"private\"}\n",
		 "2: \"prot\" must be letters from \"rwx\", each at most once, or \"\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rq\",\"flags\":\"private\"}\n",
		 "2: \"prot\" must be letters from \"rwx\", each at most once, or \"\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":3,\"flags\":\"private\"}\n",
		 "2: \"prot\" must be letters from \"rwx\", each at most once, or \"\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"R\",\"flags\":\"private\"}\n",
		 "2: \"prot\" must be letters from \"rwx\", each at most once, or \"\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"anonymous\"}\n",
		 "2: \"flags\" must include exactly one of \"private\" and \"shared\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"\"}\n",
		 "2: \"flags\" must include exactly one of \"private\" and \"shared\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"private,shared\"}\n",
		 "2: \"flags\" must include exactly one of \"private\" and \"shared\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"private,bogus\"}\n",
		 "2: unknown flag \"bogus\" in \"flags\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"private,\"}\n", "2: unknown flag \"\" in \"flags\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"private, anonymous\"}\n",
		 "2: unknown flag \" anonymous\" in \"flags\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":\"private,anonymous,private\"}\n",
		 "2: flag \"private\" given twice in \"flags\""},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"rw\",\"flags\":[\"private\"]}\n",
		 "2: \"flags\" must be a string like \"private,anonymous\""},
		{"{\"op\":\"munmap\",\"len\":\"0x1000\"}\n", "2: missing field \"addr\""},
		{"{\"op\":\"munmap\",\"addr\":\"0x1000\"}\n", "2: missing field \"len\""},
		{"{\"op\":\"munmap\",\"addr\":\"0x1000\",\"len\":\"0x1000\",\"prot\":\"r\"}\n",
		 "2: unknown key \"prot\" for op \"munmap\""},
		{"{\"op\":\"mprotect\",\"addr\":\"0x1000\",\"len\":\"0x1000\"}\n", "2: missing field \"prot\""},
		{"{\"op\":\"brk\"}\n", "2: missing field \"addr\""},
		{"{\"op\":\"brk\",\"addr\":4096}\n", "2: \"addr\" must be a hex string like \"0x1000\""},
		{"{\"op\":\"fork\"}\n", "2: missing field \"child\""},
		{"{\"op\":\"fork\",\"child\":2,\"switch\":0}\n", "2: \"switch\" must be true or false"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"uaccess\":\"yes\"}\n", "2: \"uaccess\" must be true or false"},
		{"{\"op\":\"x\",\"va\":\"0x1\",\"uaccess\":true}\n", "2: unknown key \"uaccess\" for op \"x\""},
		{"{\"op\":\"pread\",\"fd\":0,\"len\":\"0x10\"}\n", "2: missing field \"offset\""},
		{"{\"op\":\"pwrite\",\"offset\":\"0x0\",\"len\":\"0x10\"}\n", "2: missing field \"fd\""},
		{"{\"op\":\"ftruncate\",\"fd\":0}\n", "2: missing field \"len\""},
		{"{\"op\":\"fsync\",\"fd\":-1}\n", "2: \"fd\" must be an integer from 0 to 1048575"},
		{"{\"op\":\"file\",\"path\":\"a\",\"len\":\"0x1\",\"name\":\"\"}\n", "2: \"name\" must be a non-empty string"},
		{"{\"op\":\"fork\",\"child\":0}\n", "2: \"child\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"fork\",\"child\":\"2\"}\n", "2: \"child\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"exit\",\"code\":\"0\"}\n", "2: \"code\" must be an integer"},
		{"{\"op\":\"exit\",\"code\":0.5}\n", "2: \"code\" must be an integer"},
		{"{\"op\":\"exit\",\"code\":2147483648}\n", "2: \"code\" must be an integer"},
		{"{\"op\":\"switch\"}\n", "2: missing field \"pid\""},
		{"{\"op\":\"cpu\",\"cpu\":0}\n", "2: missing field \"pid\""},
		{"{\"op\":\"cpu\",\"pid\":1,\"cpu\":64}\n", "2: \"cpu\" must be 0 to 63"},
		{"{\"op\":\"cpu\",\"pid\":1,\"cpu\":1,\"lazy\":2}\n", "2: \"lazy\" names the CPU the turn runs on"},
		{"{\"op\":\"switch\",\"pid\":0}\n", "2: \"pid\" must be an integer from 1 to 2147483647"},
		{"{\"op\":\"insns\"}\n", "2: missing field \"n\""},
		{"{\"op\":\"insns\",\"n\":-5}\n", "2: \"n\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"insns\",\"n\":1e300}\n", "2: \"n\" must be a non-negative integer or a hex string like \"0x1000\""},
		{"{\"op\":\"r\",\"va\":\"0x1\"} x\n", "2: malformed JSON"},
		{"{\"op\":\"r\",\"va\":\"0x1\"}{}\n", "2: malformed JSON"},
		{"{\"op\":\"r\",\"va\":\"0x1\",}\n", "2: malformed JSON"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8}}\n", "2: malformed JSON"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8,\"pid\":}\n", "2: malformed JSON"},
		{"{'op':'r'}\n", "2: malformed JSON"},
		{"[1,2]\n", "2: a record must be a JSON object"},
		{"\"r\"\n", "2: a record must be a JSON object"},
		{"null\n", "2: a record must be a JSON object"},
		{"42\n", "2: a record must be a JSON object"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8\n", "2: malformed JSON"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8,\"pid\"", "2: malformed JSON"},
		/* Errors found after good fast-path lines still count lines right. */
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8}\r\n{\"op\":\"r\",\"va\":\"0x1\",\"size\":8}\n\n"
		 "{\"op\":\"r\",\"va\":\"0x1\",\"size\":0}\n",
		 "5: \"size\" must be 1 to 4096, not 0"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[4096];
		snprintf(text, sizeof text, "%s%s", HDR, cases[i].body);
		const char *got = t_error(text);
		CHECK_STR(got, cases[i].error);
		CHECK(!strchr(got, '\n'));
	}

	/* Each message names the file: "PATH:LINE: ...". */
	char p[512], err[1024], expect[1100];
	t_path(p, sizeof p, "t.jsonl");
	t_write_file(p, HDR "{\"op\":\"frob\"}\n", strlen(HDR) + 14);
	struct trace_reader *r = trace_open(p, err, sizeof err);
	struct trace_rec rec;
	CHECK_EQ(trace_next(r, &rec, err, sizeof err), -1);
	snprintf(expect, sizeof expect, "%s:2: unknown op \"frob\"", p);
	CHECK_STR(err, expect);
	CHECK_EQ(trace_lineno(r), 2);
	trace_close(r);
	unlink(p);

	/* A NUL byte inside a line. */
	static const char nul[] = HDR "{\"op\":\"r\",\"va\":\"0x1\0\",\"size\":8}\n";
	CHECK_STR(t_error_of(nul, sizeof nul - 1), "2: malformed JSON (a NUL byte)");
	static const char nul2[] = HDR "{\"op\":\"r\",\"va\":\"0x1\",\"size\":8}\0\n";
	CHECK_STR(t_error_of(nul2, sizeof nul2 - 1), "2: malformed JSON (a NUL byte)");
	static const char nul3[] = HDR "\0\n";
	CHECK_STR(t_error_of(nul3, sizeof nul3 - 1), "2: malformed JSON (a NUL byte)");
}

static void test_header_errors(void)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{"", "1: missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}: the file is empty"},
		{"\n  \n\n", "3: missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}: the file is empty"},
		{"{\"op\":\"r\",\"va\":\"0x1\",\"size\":8}\n" HDR,
		 "1: missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}"},
		{"[\"format\"]\n", "1: missing header {\"format\":\"mmusim-trace\",\"version\":1,\"arch\":...}"},
		{"\n\n{\"format\":\"mmusim-trace\",\"version\":2,\"arch\":\"x86-64\"}\n",
		 "3: unsupported version 2 (this reader knows version 1)"},
		{"{\"format\":\"other\",\"version\":1,\"arch\":\"x86-64\"}\n", "1: format is \"other\", not \"mmusim-trace\""},
		{"{\"format\":1,\"version\":1,\"arch\":\"x86-64\"}\n", "1: format is not a string, not \"mmusim-trace\""},
		{"{\"format\":\"mmusim-trace\",\"arch\":\"x86-64\"}\n", "1: missing field \"version\""},
		{"{\"format\":\"mmusim-trace\",\"version\":\"1\",\"arch\":\"x86-64\"}\n",
		 "1: \"version\" must be the integer 1"},
		{"{\"format\":\"mmusim-trace\",\"version\":1.5,\"arch\":\"x86-64\"}\n",
		 "1: unsupported version 1.5 (this reader knows version 1)"},
		{"{\"format\":\"mmusim-trace\",\"version\":1}\n", "1: missing field \"arch\""},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"mips\"}\n",
		 "1: unknown arch \"mips\": must be \"x86-64\" or \"aarch64\""},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86_64\"}\n",
		 "1: unknown arch \"x86_64\": must be \"x86-64\" or \"aarch64\""},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":64}\n",
		 "1: unknown arch (not a string): must be \"x86-64\" or \"aarch64\""},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"comment\":5}\n",
		 "1: \"comment\" must be a string"},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"colour\":\"red\"}\n",
		 "1: unknown key \"colour\" in the header"},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"arch\":\"x86-64\"}\n",
		 "1: duplicate key \"arch\" in the header"},
		{"{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\"\n", "1: malformed JSON"},
		{"mmusim-trace v1\n", "1: malformed JSON"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(t_error(cases[i].text), cases[i].error);

	/* Good headers: a comment, blank lines first, a byte-order mark, CRLF,
	 * and nothing after the header. */
	CHECK_STR(t_error("{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"aarch64\",\"comment\":\"hi\"}\n"), "");
	CHECK_STR(t_error("\n \t\n{ \"arch\" : \"x86-64\", \"version\" : 1.0, \"format\" : \"mmusim-trace\" }"), "");
	CHECK_STR(t_error("\xef\xbb\xbf" HDR), "");
	CHECK_STR(t_error("{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\"}\r\n"), "");
	CHECK_STR(t_error("{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"recorded\":true}\n"), "");
	CHECK_STR(t_error("{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"recorded\":1}\n"),
		  "1: \"recorded\" must be true or false");

	char err[1024], p[512];
	t_path(p, sizeof p, "no-such-file.jsonl");
	CHECK(trace_open(p, err, sizeof err) == NULL);
	char expect[1100];
	snprintf(expect, sizeof expect, "%s: No such file or directory", p);
	CHECK_STR(err, expect);
	CHECK(trace_open(tdir, err, sizeof err) == NULL);  /* a directory */
	snprintf(expect, sizeof expect, "%s: read error: Is a directory", tdir);
	CHECK_STR(err, expect);
}

/* Lines longer than 1 MiB are refused; anything shorter is fine, however it
 * straddles the reader's blocks. */
static void test_long_lines(void)
{
	size_t pad = (1u << 20) - 40;
	size_t cap = strlen(HDR) + 3 * (pad + 100);
	char *text = malloc(cap), *p = text;
	p += sprintf(p, "%s", HDR);
	for (int i = 0; i < 2; i++) {
		p += sprintf(p, "{\"op\":\"r\",");
		memset(p, ' ', pad);
		p += pad;
		p += sprintf(p, "\"va\":\"0x%d\"}\n", i + 1);
	}
	CHECK(strlen(strchr(text, '\n') + 1) - 1 > (1u << 19));
	CHECK_STR(t_error_of(text, (size_t)(p - text)), "");
	/* The same, one line past the limit. */
	p = text + strlen(HDR);
	p += sprintf(p, "{\"op\":\"r\",\"va\":\"0x1\"}\n\n{\"op\":\"r\",");
	memset(p, ' ', 1u << 20);
	p += 1u << 20;
	p += sprintf(p, "\"va\":\"0x1\"}\n");
	CHECK_STR(t_error_of(text, (size_t)(p - text)), "4: line longer than 1 MiB");
	/* And without a newline at all. */
	p -= 2;
	CHECK_STR(t_error_of(text, (size_t)(p - text)), "4: line longer than 1 MiB");
	free(text);
}

/* ---- Accepted spellings ------------------------------------------------------- */

static void test_spellings(void)
{
	static const struct {
		const char *line;
		struct trace_rec rec;
	} cases[] = {
		{"{ \"op\" : \"r\" , \"va\" : \"0x1000\" , \"size\" : 8 }", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0x1000, .len = 8}},
		{"{\"size\":8,\"va\":\"0x1000\",\"op\":\"w\"}", {.fd = -1, .op = TR_WRITE, .pid = -1, .va = 0x1000, .len = 8}},
		{"{\"pid\":3,\"op\":\"x\",\"va\":\"0x1000\"}", {.fd = -1, .op = TR_FETCH, .pid = 3, .va = 0x1000, .len = 1}},
		{"{\"op\":\"r\",\"va\":\"0xDEADbeef\",\"size\":\"0x10\"}", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0xdeadbeef, .len = 16}},
		{"{\"op\":\"r\",\"va\":\"0XABC\"}", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0xabc, .len = 1}},
		{"{\"op\":\"r\",\"va\":\"0x00000000000000000001000\",\"size\":8.0}",
		 {.fd = -1, .op = TR_READ, .pid = -1, .va = 0x1000, .len = 8}},
		{"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":2.0}", {.fd = -1, .op = TR_READ, .pid = 2, .va = 0x1000, .len = 8}},
		{"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":1e1}", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0x1000, .len = 10}},
		{"\t{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8}  ", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0x1000, .len = 8}},
		{"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8}\r", {.fd = -1, .op = TR_READ, .pid = -1, .va = 0x1000, .len = 8}},
		{"{\"op\":\"mmap\",\"len\":4096,\"prot\":\"xr\",\"flags\":\"growsdown,fixed,anonymous,shared\"}",
		 {.fd = -1, .op = TR_MMAP, .pid = -1, .len = 4096, .prot = 5, .flags = 0x1d}},
		{"{\"op\":\"mmap\",\"len\":\"0X10000\",\"prot\":\"\",\"flags\":\"private\",\"addr\":\"0x0\"}",
		 {.fd = -1, .op = TR_MMAP, .pid = -1, .len = 0x10000, .prot = 0, .flags = TR_MAP_PRIVATE}},
		{"{\"op\":\"munmap\",\"addr\":\"0x1000\",\"len\":4096}", {.fd = -1, .op = TR_MUNMAP, .pid = -1, .va = 0x1000, .len = 4096}},
		{"{\"op\":\"exit\"}", {.fd = -1, .op = TR_EXIT, .pid = -1}},
		{"{\"op\":\"exit\",\"code\":-2147483648}", {.fd = -1, .op = TR_EXIT, .pid = -1, .code = INT32_MIN}},
		{"{\"op\":\"insns\",\"n\":\"0xffffffffffffffff\"}", {.fd = -1, .op = TR_INSNS, .pid = -1, .len = ~0ull}},
		{"{\"op\":\"insns\",\"n\":9007199254740991}", {.fd = -1, .op = TR_INSNS, .pid = -1, .len = 9007199254740991ull}},
		{"{\"op\":\"exec\",\"stack_top\":\"0x7FFFFFFFF000\"}", {.fd = -1, .op = TR_EXEC, .pid = -1, .stack_top = 0x7ffffffff000}},
		{"{\"op\":\"switch\",\"pid\":2147483647}", {.fd = -1, .op = TR_SWITCH, .pid = INT32_MAX}},
		{"{\"op\":\"fork\",\"child\":2147483647,\"pid\":1}", {.fd = -1, .op = TR_FORK, .pid = 1, .child = INT32_MAX}},
		{"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":1}", {.fd = -1, .op = TR_READ, .pid = 1, .va = 0x1000, .len = 8}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct trace_rec got;
		char msg[1024];
		int rc = t_parse_line(cases[i].line, &got, msg, sizeof msg);
		CHECK_EQ(rc, 0);
		CHECK(t_rec_eq(&got, &cases[i].rec));
		if (rc || !t_rec_eq(&got, &cases[i].rec))
			fprintf(stderr, "  line %s: %s\n", cases[i].line, msg);
	}

	/* CRLF throughout, blank lines of spaces, and no newline at the end. */
	const char *text = "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"aarch64\"}\r\n"
			   "{\"op\":\"r\",\"va\":\"0x10\",\"size\":2}\r\n"
			   "\r\n"
			   "  \t \n"
			   "{\"op\":\"w\",\"va\":\"0x20\",\"size\":4,\"pid\":3}\r\n"
			   "{\"op\":\"brk\",\"addr\":\"0x700000\"}\r\n"
			   "{\"op\":\"x\",\"va\":\"0x30\",\"size\":4}";
	char p[512], err[1024];
	t_path(p, sizeof p, "crlf.jsonl");
	t_write_file(p, text, strlen(text));
	struct trace_reader *r = trace_open(p, err, sizeof err);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_EQ(trace_arch(r), ARCH_AARCH64);
	struct trace_rec got;
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 1);
	CHECK(t_rec_eq(&got, &(struct trace_rec){.fd = -1, .op = TR_READ, .pid = -1, .va = 0x10, .len = 2}));
	CHECK_EQ(trace_lineno(r), 2);
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 1);
	CHECK(t_rec_eq(&got, &(struct trace_rec){.fd = -1, .op = TR_WRITE, .pid = 3, .va = 0x20, .len = 4}));
	CHECK_EQ(trace_lineno(r), 5);
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 1);
	CHECK(t_rec_eq(&got, &(struct trace_rec){.fd = -1, .op = TR_BRK, .pid = -1, .va = 0x700000}));
	CHECK_EQ(trace_lineno(r), 6);
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 1);
	CHECK(t_rec_eq(&got, &(struct trace_rec){.fd = -1, .op = TR_FETCH, .pid = -1, .va = 0x30, .len = 4}));
	CHECK_EQ(trace_lineno(r), 7);
	CHECK_EQ(trace_next(r, &got, err, sizeof err), 0);
	trace_close(r);
	unlink(p);
}

/* ---- The fast path against cJSON ---------------------------------------------- */

/* The cJSON path on one line (NUL-terminated at len): 0 or -1. */
static int t_slow(const char *line, size_t len, struct trace_rec *rec)
{
	char msg[512];
	static char path[TR_PATH_MAX + 1], name[TR_PATH_MAX + 1];
	return trace_line_decode(line, len, rec, path, name, msg, sizeof msg);
}

static struct trace_rec t_random_access(void)
{
	uint64_t x = t_rand(), y = t_rand();
	struct trace_rec r = {.fd = -1, .op = (enum trace_op)(x % 3), .pid = -1, .va = y >> (x >> 8) % 64};
	switch ((x >> 16) % 4) {
	case 0: r.len = 1 + (x >> 20) % 8; break;
	case 1: r.len = 1 + (x >> 20) % 4096; break;
	case 2: r.len = (x >> 20) % 2 ? 4096 : 1; break;
	default: r.len = 1u << (x >> 20) % 13; break;
	}
	switch ((x >> 32) % 4) {
	case 0: r.pid = 1 + (int32_t)((x >> 36) % 8); break;
	case 1: r.pid = (x >> 36) % 2 ? INT32_MAX : 1 + (int32_t)((x >> 36) % INT32_MAX); break;
	}
	r.uaccess = r.op != TR_FETCH && (y & 1);   /* copy_to_user's accesses take the fast path too */
	return r;
}

static void test_fast_path(void)
{
	int not_fast = 0, differ = 0, variants_differ = 0;
	for (int i = 0; i < 200000; i++) {
		struct trace_rec want = t_random_access(), fast, slow;
		char line[300], v[320];
		size_t len = trace_format(&want, line, sizeof line) - 1;
		line[len] = 0;
		memset(&fast, 0xa5, sizeof fast);
		memset(&slow, 0x5a, sizeof slow);
		bool f = trace_line_fast(line, len, &fast);
		int s = t_slow(line, len, &slow);
		not_fast += !f;
		differ += s != 0 || !t_rec_eq(&fast, &slow) || !t_rec_eq(&fast, &want);
		/* Spelled otherwise, it goes the slow way to the same record. */
		int vl = snprintf(v, sizeof v, "{ %s", line + 1);
		struct trace_rec other;
		variants_differ += trace_line_fast(v, (size_t)vl, &other) || t_slow(v, (size_t)vl, &other) ||
				   !t_rec_eq(&other, &want);
	}
	CHECK_EQ(not_fast, 0);
	CHECK_EQ(differ, 0);
	CHECK_EQ(variants_differ, 0);

	/* Mutated canonical lines: whatever the fast path accepts, cJSON
	 * accepts too, with the same record. */
	static const char alphabet[] = "{}\":,0123456789abcdefABCDEFxXrwpidsize \t-.e\\";
	int accepted = 0, disagree = 0;
	for (int i = 0; i < 300000; i++) {
		struct trace_rec want = t_random_access(), fast, slow;
		char line[300];
		size_t len = trace_format(&want, line, sizeof line) - 1;
		int edits = 1 + (int)(t_rand() % 3);
		for (int e = 0; e < edits && len > 1; e++) {
			uint64_t x = t_rand();
			size_t at = (size_t)((x >> 8) % len);
			char c = (x >> 32) % 8 ? alphabet[(x >> 40) % (sizeof alphabet - 1)] : (char)(x >> 48);
			switch (x % 4) {
			case 0: line[at] = c; break;
			case 1: memmove(line + at, line + at + 1, len - at), len--; break;
			case 2:
				if (len < 280) {
					memmove(line + at + 1, line + at, len - at);
					line[at] = c;
					len++;
				}
				break;
			case 3: len = at + 1; break;
			}
		}
		line[len] = 0;
		if (trace_line_fast(line, len, &fast)) {
			accepted++;
			if (t_slow(line, len, &slow) || !t_rec_eq(&fast, &slow)) {
				if (disagree++ < 5)
					fprintf(stderr, "  fast and slow disagree on: %s\n", line);
			}
		}
	}
	CHECK(accepted > 1000);
	CHECK_EQ(disagree, 0);

	/* Near misses the fast path must leave alone. */
	static const char *const near[] = {
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8} ",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":0}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":2147483648}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":08}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":0}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":4097}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8.5}",
		"{\"op\":\"r\",\"va\":\"0x\",\"size\":8}",
		"{\"op\":\"r\",\"va\":\"0x10000000000000000\",\"size\":8}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":1,\"pid\":2}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8}}",
		"{\"op\":\"rw\",\"va\":\"0x1000\",\"size\":8}",
		"{\"op\":\"r\",\"va\":\"0x1000\",\"size\":8,\"pid\":1",
	};
	int wrongly_fast = 0;
	for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
		struct trace_rec rec;
		wrongly_fast += trace_line_fast(near[i], strlen(near[i]), &rec);
	}
	CHECK_EQ(wrongly_fast, 0);
}

/* Random bytes and random JSON-ish junk never crash the reader. */
static void test_junk(void)
{
	static const char *const pieces[] = {
		"{", "}", "\"op\"", ":", ",", "\"r\"", "\"mmap\"", "\"va\"", "\"0x1000\"", "\"size\"", "8", "\n", "\r\n",
		"\"flags\"", "\"private,anonymous\"", "\"prot\"", "\"rw\"", "\"len\"", "[", "]", "null", "1e999", "-",
		"\"\\u0000\"", "\"\\ud800\"", " ", "\"pid\"", "2147483648", "\"0x\"", "0x1",
	};
	char p[512];
	t_path(p, sizeof p, "junk.jsonl");
	int finished = 0;
	for (int i = 0; i < 400; i++) {
		char text[4096];
		size_t n = (size_t)snprintf(text, sizeof text, "%s", HDR);
		while (n < 3000) {
			uint64_t x = t_rand();
			if (x % 5 == 0) {
				text[n++] = (char)(x >> 8);
			} else {
				const char *s = pieces[(x >> 8) % (sizeof pieces / sizeof pieces[0])];
				size_t l = strlen(s);
				memcpy(text + n, s, l);
				n += l;
			}
		}
		t_write_file(p, text, n);
		char err[1024];
		struct trace_reader *r = trace_open(p, err, sizeof err);
		if (!r)
			continue;
		struct trace_rec rec;
		int rc;
		while ((rc = trace_next(r, &rec, err, sizeof err)) == 1)
			;
		finished += rc == 0 || (rc == -1 && !strchr(err, '\n'));
		trace_close(r);
	}
	unlink(p);
	CHECK_EQ(finished, 400);
}

/* ---- Writing ------------------------------------------------------------------- */

static void test_writer_files(void)
{
	char p[512], err[1024];
	int before = t_dir_entries();
	t_path(p, sizeof p, "aborted.jsonl");
	struct trace_writer *w = trace_create(p, ARCH_X86_64, NULL, err, sizeof err);
	CHECK(w != NULL);
	trace_write(w, &canon[0].rec);
	CHECK_EQ(t_dir_entries(), before);      /* the temporary file is nameless (O_TMPFILE) */
	CHECK(access(p, F_OK) != 0);            /* nothing under the real name yet */
	trace_abort(w);
	CHECK_EQ(t_dir_entries(), before);

	/* Replacing a file: the old one stays whole until the commit. */
	t_write_file(p, "old\n", 4);
	w = trace_create(p, ARCH_X86_64, NULL, err, sizeof err);
	trace_write(w, &canon[1].rec);
	size_t n;
	char *old = t_read_file(p, &n);
	CHECK_STR(old, "old\n");
	free(old);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	char *now = t_read_file(p, &n);
	char expect[256];
	snprintf(expect, sizeof expect, "%s%s\n", HDR, canon[1].line);
	CHECK_STR(now, expect);
	free(now);
	unlink(p);
	CHECK_EQ(t_dir_entries(), before);

	/* A recorded trace says so in its header; the reader tells. */
	w = trace_create_recorded(p, ARCH_AARCH64, "c", err, sizeof err);
	CHECK(w != NULL);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	now = t_read_file(p, &n);
	CHECK_STR(now, "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"aarch64\",\"recorded\":true,\"comment\":\"c\"}\n");
	free(now);
	struct trace_reader *rd = trace_open(p, err, sizeof err);
	CHECK(rd && trace_recorded(rd));
	trace_close(rd);
	w = trace_create(p, ARCH_AARCH64, NULL, err, sizeof err);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	rd = trace_open(p, err, sizeof err);
	CHECK(rd && !trace_recorded(rd));
	trace_close(rd);
	unlink(p);
	CHECK_EQ(t_dir_entries(), before);

	/* A directory that does not exist. */
	t_path(p, sizeof p, "no-such-dir/t.jsonl");
	CHECK(trace_create(p, ARCH_X86_64, NULL, err, sizeof err) == NULL);
	char msg[1100];
	snprintf(msg, sizeof msg, "%s: No such file or directory", p);
	CHECK_STR(err, msg);

	/* "-" is standard output. */
	t_path(p, sizeof p, "stdout.jsonl");
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	FILE *f = fopen(p, "w");
	dup2(fileno(f), STDOUT_FILENO);
	w = trace_create("-", ARCH_AARCH64, "to stdout", err, sizeof err);
	CHECK(w != NULL);
	for (size_t i = 0; i < 3; i++)
		trace_write(w, &canon[i].rec);
	CHECK_EQ(trace_finish(w, err, sizeof err), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fclose(f);
	char *got = t_read_file(p, &n);
	snprintf(expect, sizeof expect,
		 "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"aarch64\",\"comment\":\"to stdout\"}\n%s\n%s\n%s\n",
		 canon[0].line, canon[1].line, canon[2].line);
	CHECK_STR(got, expect);
	free(got);
	unlink(p);
}

/* ---- Lackey ---------------------------------------------------------------------- */

struct t_access {
	enum trace_op op;
	uint64_t va, size;
};

/* The accesses a lackey log should become, by a simple reading of its own. */
static size_t t_lackey_expect(const char *log, struct t_access **out, size_t *lines_ils, size_t *lines_m)
{
	size_t cap = 1024, n = 0;
	struct t_access *a = malloc(cap * sizeof *a);
	*lines_ils = *lines_m = 0;
	for (const char *s = log; *s;) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char kind = 0;
		if (len > 3 && !strncmp(s, "I  ", 3))
			kind = 'I';
		else if (len > 3 && s[0] == ' ' && strchr("LSM", s[1]) && s[2] == ' ')
			kind = s[1];
		if (kind) {
			unsigned long long va, size;
			if (sscanf(s + 3, "%llx,%llu", &va, &size) == 2) {
				if (n + 2 > cap)
					a = realloc(a, (cap *= 2) * sizeof *a);
				enum trace_op op = kind == 'I' ? TR_FETCH : kind == 'S' ? TR_WRITE : TR_READ;
				a[n++] = (struct t_access){op, va, size};
				if (kind == 'M')
					a[n++] = (struct t_access){TR_WRITE, va, size};
				*(kind == 'M' ? lines_m : lines_ils) += 1;
			}
		}
		s += len + (e != NULL);
	}
	*out = a;
	return n;
}

static void t_check_lackey_trace(const char *trace, enum mmu_arch arch, const struct t_access *want, size_t nwant,
				 int *nranges)
{
	char err[1024];
	struct trace_reader *r = trace_open(trace, err, sizeof err);
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ(trace_arch(r), arch);
	uint64_t align = arch == ARCH_AARCH64 ? 0x10000 : 0x1000;
	uint64_t lo[256], hi[256];
	int nr = 0, bad_map = 0, outside = 0, wrong = 0;
	size_t i = 0;
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec, err, sizeof err)) == 1) {
		if (rec.op == TR_MMAP) {
			bad_map += i != 0 || nr == 256 || rec.va % align || rec.len % align || !rec.len ||
				   rec.prot != 7 || rec.flags != (TR_MAP_PRIVATE | TR_MAP_ANONYMOUS | TR_MAP_FIXED) ||
				   rec.pid != -1 || (nr && rec.va <= hi[nr - 1]);
			if (nr < 256) {
				lo[nr] = rec.va;
				hi[nr] = rec.va + rec.len - 1;
				nr++;
			}
			continue;
		}
		bool in = false;
		for (int k = 0; k < nr && !in; k++)
			in = rec.va >= lo[k] && rec.va + rec.len - 1 <= hi[k];
		outside += !in;
		wrong += i >= nwant || rec.op != want[i].op || rec.va != want[i].va || rec.len != want[i].size ||
			 rec.pid != -1;
		i++;
	}
	CHECK_EQ(rc, 0);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(i, nwant);
	CHECK_EQ(bad_map, 0);
	CHECK_EQ(outside, 0);
	CHECK_EQ(wrong, 0);
	CHECK(nr >= 1);
	*nranges = nr;
	trace_close(r);
}

static void test_lackey_real_log(void)
{
	const char *in = MMUSIM_TEST_DATA "/lackey-small.log";
	char out[512], err[1024];
	t_path(out, sizeof out, "lackey.jsonl");
	char *log = t_read_file(in, NULL);
	CHECK(log != NULL);
	if (!log) {
		fprintf(stderr, "  cannot read %s\n", in);
		return;
	}
	struct t_access *want;
	size_t ils, m;
	size_t nwant = t_lackey_expect(log, &want, &ils, &m);
	CHECK(ils > 4000);
	CHECK(m > 5);
	CHECK_EQ(nwant, ils + 2 * m);  /* the count the conversion must produce */
	int before = t_dir_entries();
	for (int arch = 0; arch < 2; arch++) {
		int rc = lackey_convert(in, out, (enum mmu_arch)arch, err, sizeof err);
		CHECK_EQ(rc, 0);
		if (rc) {
			fprintf(stderr, "  %s\n", err);
			continue;
		}
		int nranges = 0;
		t_check_lackey_trace(out, (enum mmu_arch)arch, want, nwant, &nranges);
		CHECK(nranges <= 8);  /* text and heap, the stack: a handful */
		unlink(out);
	}
	CHECK_EQ(t_dir_entries(), before);

	/* From standard input, a pipe, it is spooled and read twice all the
	 * same. (The whole log fits in the pipe: no second process needed.) */
	int fds[2];
	size_t loglen = strlen(log);
	if (pipe(fds) == 0) {
		fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
		bool fits = write(fds[1], log, loglen) == (ssize_t)loglen;
		close(fds[1]);
		CHECK(fits);
		int saved = dup(STDIN_FILENO);
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		int rc = fits ? lackey_convert("-", out, ARCH_X86_64, err, sizeof err) : -1;
		dup2(saved, STDIN_FILENO);
		close(saved);
		clearerr(stdin);
		CHECK_EQ(rc, 0);
		int nranges;
		if (!rc)
			t_check_lackey_trace(out, ARCH_X86_64, want, nwant, &nranges);
		char *text = t_read_file(out, NULL);
		CHECK(text && strstr(text, "\"comment\":\"converted from the valgrind lackey log <stdin>\"}\n"));
		free(text);
		unlink(out);
	}
	free(want);
	free(log);
}

static void test_lackey_small(void)
{
	char in[512], out[512], err[1024], expect[1200];
	t_path(in, sizeof in, "small.log");
	t_path(out, sizeof out, "small.jsonl");
	/* Non-access lines are skipped; M is a read then a write; an access
	 * across a page boundary maps both pages; far-apart pages are separate
	 * mappings, near ones one. */
	const char *log = "==1== Lackey, an example Valgrind tool\n"
			  "hello from the program\n"
			  "I am not an access\n"
			  "I  0401ffe,4\n"
			  " L 0403000,8\r\n"
			  " S 7ff000010,2\n"
			  " M 7ff000020,4\n"
			  "\n"
			  "==1== Counted 4 accesses";
	t_write_file(in, log, strlen(log));
	CHECK_EQ(lackey_convert(in, out, ARCH_X86_64, err, sizeof err), 0);
	char *got = t_read_file(out, NULL);
	snprintf(expect, sizeof expect,
		 "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"comment\":"
		 "\"converted from the valgrind lackey log %s\"}\n"
		 "{\"op\":\"mmap\",\"addr\":\"0x401000\",\"len\":\"0x3000\",\"prot\":\"rwx\",\"flags\":\"private,anonymous,fixed\"}\n"
		 "{\"op\":\"mmap\",\"addr\":\"0x7ff000000\",\"len\":\"0x1000\",\"prot\":\"rwx\",\"flags\":\"private,anonymous,fixed\"}\n"
		 "{\"op\":\"x\",\"va\":\"0x401ffe\",\"size\":4}\n"
		 "{\"op\":\"r\",\"va\":\"0x403000\",\"size\":8}\n"
		 "{\"op\":\"w\",\"va\":\"0x7ff000010\",\"size\":2}\n"
		 "{\"op\":\"r\",\"va\":\"0x7ff000020\",\"size\":4}\n"
		 "{\"op\":\"w\",\"va\":\"0x7ff000020\",\"size\":4}\n",
		 in);
	CHECK_STR(got, expect);
	free(got);
	/* On AArch64 the mappings are in 64 KiB units. */
	CHECK_EQ(lackey_convert(in, out, ARCH_AARCH64, err, sizeof err), 0);
	got = t_read_file(out, NULL);
	CHECK(got && strstr(got, "\"addr\":\"0x400000\",\"len\":\"0x10000\""));
	CHECK(got && strstr(got, "\"addr\":\"0x7ff000000\",\"len\":\"0x10000\""));
	free(got);
	unlink(out);
	/* An empty log is a trace with nothing in it. */
	t_write_file(in, "", 0);
	CHECK_EQ(lackey_convert(in, out, ARCH_X86_64, err, sizeof err), 0);
	got = t_read_file(out, NULL);
	snprintf(expect, sizeof expect,
		 "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\",\"comment\":"
		 "\"converted from the valgrind lackey log %s\"}\n",
		 in);
	CHECK_STR(got, expect);
	free(got);
	unlink(out);

	/* Lines that look like accesses must be accesses; nothing is written. */
	static const struct {
		const char *log;
		const char *error;
	} bad[] = {
		{"I  0401000,3\n L 0402000,8\n==1== x\n L zz,8\n", "4: malformed lackey access line (expected like \" L 1ffefffd40,8\")"},
		{"I  0401000,3\nI  0401000\n", "2: malformed lackey access line (expected like \" L 1ffefffd40,8\")"},
		{"I  0401000,\n", "1: malformed lackey access line (expected like \" L 1ffefffd40,8\")"},
		{" S 0401000,8x\n", "1: malformed lackey access line (expected like \" L 1ffefffd40,8\")"},
		{" L 10000000000000000,8\n", "1: malformed lackey access line (expected like \" L 1ffefffd40,8\")"},
		{"\n\n M 0401000,0\n", "3: access size 0 is outside 1 to 4096"},
		{" L 0401000,5000\n", "1: access size 5000 is outside 1 to 4096"},
		{" L ffffffffffffffff,2\n", "1: access at 0xffffffffffffffff runs past the end of the address space"},
	};
	int before = t_dir_entries();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t_write_file(in, bad[i].log, strlen(bad[i].log));
		CHECK_EQ(lackey_convert(in, out, ARCH_X86_64, err, sizeof err), -1);
		snprintf(expect, sizeof expect, "%s:%s", in, bad[i].error);
		CHECK_STR(err, expect);
		CHECK_EQ(t_dir_entries(), before);
	}
	unlink(in);
	t_path(in, sizeof in, "no-such.log");
	CHECK_EQ(lackey_convert(in, out, ARCH_X86_64, err, sizeof err), -1);
	snprintf(expect, sizeof expect, "%s: No such file or directory", in);
	CHECK_STR(err, expect);
}

int main(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tdir, sizeof tdir, "%s/test_trace.XXXXXX", base);
	if (!mkdtemp(tdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_canonical_lines();
	test_round_trip_file();
	test_many_records();
	test_record_errors();
	test_header_errors();
	test_long_lines();
	test_spellings();
	test_fast_path();
	test_junk();
	test_writer_files();
	test_lackey_real_log();
	test_lackey_small();
	CHECK_EQ(t_dir_entries(), 0);
	rmdir(tdir);
	return check_report("test_trace");
}
