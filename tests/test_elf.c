/* The ELF loader and user-memory access, through the OS model's API, with
 * ELF files built in memory (no cross compiler needed): placement of
 * ET_EXEC and static-PIE images on x86-64 and AArch64 with 4, 16 and 64 KiB
 * pages, file-backed text from the page cache, padzero and the bss, brk,
 * the exact initial stack, every malformed input refused with one line and
 * no harm done; copy_from_user / copy_to_user / strncpy_from_user with bad
 * pointers, page crossings and fresh pages. The guests' real hello binaries
 * are loaded too when they have been built. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/testkernel.h"
#include "os/os.h"
#include "presets/preset.h"
#include "tests/testlib.h"

static char root[256];

/* ---- kernels ------------------------------------------------------------------- */
static struct kernel *make_kernel_pers(const char *preset, const char *pers)
{
	struct os_config oc = test_os_config(pers);
	return test_kernel(preset, 0, &oc);
}

static struct kernel *make_kernel(const char *preset) { return make_kernel_pers(preset, "linux"); }

/* An AArch64 kernel with the 64 KiB granule (no preset has one). */
static struct kernel *make_kernel_64k(void)
{
	struct mmu_config mc = test_config(&fmt_aarch64_64k, 256ull << 20, 1);
	struct os_config oc = test_os_config("linux");
	return test_kernel_on(&mc, &oc, "aarch64/64k");
}

static uint64_t page_of(const struct kernel *k) { return 1ull << kernel_format(k)->page_shift; }
static bool is_x86(const struct kernel *k) { return kernel_format(k)->arch == ARCH_X86_64; }
static uint16_t machine_of(const struct kernel *k) { return is_x86(k) ? EM_X86_64 : EM_AARCH64; }

/* ---- fault records ------------------------------------------------------------- */
static struct {
	uint64_t n;
	struct fault_record rec[64];
} faults;

static void on_event(void *ctx, const struct os_event *ev)
{
	(void)ctx;
	if (ev->kind == EV_FAULT) {
		faults.rec[faults.n % 64] = *ev->u.fault;
		faults.n++;
	}
}

static bool took(const struct fault_record *r, enum fault_step s)
{
	for (int i = 0; i < r->nsteps; i++)
		if (r->steps[i] == s)
			return true;
	return false;
}

/* ---- ELF files ------------------------------------------------------------------- */
struct ph {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct elf {
	uint16_t machine, type;
	uint64_t entry;
	int nph;
	struct ph ph[8];
	uint64_t size;     /* of the file */
};

/* Every file byte not in a header: non-zero, and different per offset. */
static uint8_t pat(uint64_t off) { return (uint8_t)((off * 31 + 7) | 1); }

static void elf_bytes(const struct elf *e, uint8_t *buf)
{
	for (uint64_t i = 0; i < e->size; i++)
		buf[i] = pat(i);
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof eh);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = e->type;
	eh.e_machine = e->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = e->entry;
	eh.e_phoff = sizeof eh;
	eh.e_ehsize = sizeof eh;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)e->nph;
	if (e->size >= sizeof eh)
		memcpy(buf, &eh, sizeof eh);
	for (int i = 0; i < e->nph; i++) {
		Elf64_Phdr p = {.p_type = e->ph[i].type, .p_flags = e->ph[i].flags, .p_offset = e->ph[i].offset,
				.p_vaddr = e->ph[i].vaddr, .p_paddr = e->ph[i].vaddr, .p_filesz = e->ph[i].filesz,
				.p_memsz = e->ph[i].memsz, .p_align = e->ph[i].align};
		if (sizeof eh + (i + 1) * sizeof p <= e->size)
			memcpy(buf + sizeof eh + i * sizeof p, &p, sizeof p);
	}
}

static const char *write_file(const char *name, const void *data, uint64_t len)
{
	static char path[8][512];
	static int next;
	char *p = path[next % 8];
	/* A new file each time: the kernel's page cache keeps what it read of
	 * a file, as a real one does, and would not see it rewritten behind
	 * its back. */
	snprintf(p, 512, "%s/%s.%d", root, name, next++);
	FILE *f = fopen(p, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len)) {
		fprintf(stderr, "cannot write %s\n", p);
		exit(2);
	}
	fclose(f);
	return p;
}

static const char *write_elf(const char *name, const struct elf *e, uint8_t *buf)
{
	elf_bytes(e, buf);
	return write_file(name, buf, e->size);
}

/* The standard image: text (headers included) at 0x400000, data at
 * 0x410500 with a bss over several pages, congruent up to 64 KiB pages. */
#define TEXT_VA 0x400000ull
#define DATA_OFF 0x500ull
#define DATA_VA (0x410000ull + DATA_OFF)
#define DATA_FILESZ 0x300ull
#define DATA_MEMSZ 0x5000ull
#define ENTRY_OFF 0x200ull

static struct elf standard(uint16_t machine, uint16_t type, uint64_t base, uint64_t align)
{
	struct elf e = {.machine = machine, .type = type, .entry = base + TEXT_VA + ENTRY_OFF, .nph = 3, .size = 0x2000};
	e.ph[0] = (struct ph){PT_LOAD, PF_R | PF_X, 0, base + TEXT_VA, 0x400, 0x400, align};
	e.ph[1] = (struct ph){PT_LOAD, PF_R | PF_W, DATA_OFF, base + DATA_VA, DATA_FILESZ, DATA_MEMSZ, align};
	e.ph[2] = (struct ph){PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16};
	return e;
}

/* ---- user memory helpers ----------------------------------------------------------- */
static uint64_t user64(struct kernel *k, uint64_t va)
{
	uint64_t v = ~0ull;
	if (os_copy_from_user(k, &v, va, 8))
		return 0xbadbadbadbadull;
	return v;
}

static const struct vma *vma_at(const struct proc *p, uint64_t va)
{
	const struct vma *v;
	size_t n = proc_vmas(p, &v);
	for (size_t i = 0; i < n; i++)
		if (v[i].start <= va && va < v[i].end)
			return &v[i];
	return NULL;
}

static uint64_t stack_top_of(const struct kernel *k)
{
	return is_x86(k) ? 0x7ffffffff000ull : 0xffffffff0000ull & ~(page_of(k) - 1);
}

/* ---- the initial stack, as create_elf_tables lays it out ------------------------ */
static char *const test_argv[] = {"prog", "-x", "hello world", NULL};
static char *const test_envp[] = {"HOME=/root", "LANG=C", NULL};
#define TEST_EXECFN "/bin/prog"

struct layout {
	uint64_t execfn, platform, random, strings, sp;
};

static struct layout expect_layout(const struct kernel *k, int argc, char *const argv[], char *const envp[],
				   const char *execfn, int naux)
{
	struct layout l;
	uint64_t top = stack_top_of(k);
	uint64_t pos = top - 8 - (strlen(execfn) + 1);
	l.execfn = pos;
	int envc = 0;
	while (envp[envc])
		envc++;
	for (int i = envc - 1; i >= 0; i--)
		pos -= strlen(envp[i]) + 1;
	for (int i = argc - 1; i >= 0; i--)
		pos -= strlen(argv[i]) + 1;
	l.strings = pos;
	uint64_t p = pos & ~15ull;
	l.platform = p -= strlen(is_x86(k) ? "x86_64" : "aarch64") + 1;
	l.random = p -= 16;
	uint64_t items = (uint64_t)argc + 1 + (uint64_t)envc + 1 + 1;
	l.sp = (p - (uint64_t)naux * 16 - items * 8) & ~15ull;
	return l;
}

static void check_string(struct kernel *k, uint64_t va, const char *want)
{
	char buf[256];
	int64_t n = os_strncpy_from_user(k, buf, va, sizeof buf);
	CHECK_EQ(n, strlen(want));
	if (n >= 0)
		CHECK_STR(buf, want);
}

/* Everything on the stack from sp to the top, checked word by word. */
static void check_stack(struct kernel *k, const struct exec_image *im, uint64_t phnum, const char *what)
{
	uint64_t top = stack_top_of(k);
	int argc = 3;
	struct layout l = expect_layout(k, argc, test_argv, test_envp, TEST_EXECFN, 20);
	CHECK_EQ(im->sp, l.sp);
	CHECK_EQ(im->sp % 16, 0);
	uint64_t sp = im->sp;
	CHECK_EQ(user64(k, sp), argc);
	uint64_t at = l.strings;
	for (int i = 0; i < argc; i++) {
		CHECK_EQ(user64(k, sp + 8 + 8 * (uint64_t)i), at);
		check_string(k, at, test_argv[i]);
		at += strlen(test_argv[i]) + 1;
	}
	uint64_t q = sp + 8 + 8 * (uint64_t)argc;
	CHECK_EQ(user64(k, q), 0);
	q += 8;
	for (int i = 0; test_envp[i]; i++, q += 8) {
		CHECK_EQ(user64(k, q), at);
		check_string(k, at, test_envp[i]);
		at += strlen(test_envp[i]) + 1;
	}
	CHECK_EQ(user64(k, q), 0);
	q += 8;
	CHECK_EQ(at, l.execfn);
	check_string(k, l.execfn, TEST_EXECFN);
	CHECK_EQ(user64(k, top - 8), 0);
	const uint64_t want[][2] = {
		{AT_MINSIGSTKSZ, is_x86(k) ? 1440 : 4720},   /* Linux's worst-case frame for ours */
		{AT_HWCAP, 0},           {AT_PAGESZ, page_of(k)}, {AT_CLKTCK, 100},       {AT_PHDR, im->phdr},
		{AT_PHENT, 56},          {AT_PHNUM, phnum},       {AT_BASE, 0},           {AT_FLAGS, 0},
		{AT_ENTRY, im->entry},   {AT_UID, 0},             {AT_EUID, 0},           {AT_GID, 0},
		{AT_EGID, 0},            {AT_SECURE, 0},          {AT_RANDOM, l.random},  {AT_HWCAP2, 0},
		{AT_EXECFN, l.execfn},   {AT_PLATFORM, l.platform}, {AT_NULL, 0},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++, q += 16) {
		uint64_t t = user64(k, q), v = user64(k, q + 8);
		CHECK_EQ(t, want[i][0]);
		CHECK_EQ(v, want[i][1]);
		bad += t != want[i][0] || v != want[i][1];
	}
	if (bad)
		fprintf(stderr, "  (%s: auxv mismatches)\n", what);
	CHECK(q <= l.random);
	check_string(k, l.platform, is_x86(k) ? "x86_64" : "aarch64");
	uint8_t rnd[16];
	CHECK_EQ(os_copy_from_user(k, rnd, l.random, 16), 0);
	static uint8_t first_rnd[16];
	static bool have_rnd;
	if (!have_rnd) {
		memcpy(first_rnd, rnd, 16);
		have_rnd = true;
		int zeros = 0;
		for (int i = 0; i < 16; i++)
			zeros += !rnd[i];
		CHECK(zeros < 4);
	} else {
		CHECK(!memcmp(first_rnd, rnd, 16));   /* deterministic */
	}
}

/* ---- loading ----------------------------------------------------------------------- */
static int exec(struct kernel *k, const char *path, struct exec_image *im, char *err, size_t errlen)
{
	memset(im, 0, sizeof *im);
	return os_exec_elf(kernel_current(k), path, 3, test_argv, test_envp, TEST_EXECFN, im, err, errlen);
}

/* The standard image at `base` (0 for ET_EXEC) with the given alignment:
 * placement, contents, page cache, protections, bss, brk and stack. */
static void check_load(struct kernel *k, uint16_t type, uint64_t p_align, uint64_t want_bias, const char *what)
{
	uint8_t file[0x2000];
	struct elf e = standard(machine_of(k), type, 0, p_align);
	if (type == ET_DYN) {   /* a static PIE linked at 0 */
		e.entry -= TEXT_VA;
		e.ph[0].vaddr -= TEXT_VA;
		e.ph[1].vaddr -= TEXT_VA;
	}
	const char *path = write_elf("std.elf", &e, file);
	struct proc *p = kernel_current(k);
	uint64_t pg = page_of(k);
	struct exec_image im;
	char err[512] = "";
	int rc = exec(k, path, &im, err, sizeof err);
	CHECK_EQ(rc, 0);
	if (rc) {
		fprintf(stderr, "%s: %s\n", what, err);
		return;
	}
	uint64_t bias = im.load_bias, text = e.ph[0].vaddr + bias, data = e.ph[1].vaddr + bias;
	CHECK_EQ(bias, want_bias);
	CHECK_EQ(im.entry, e.entry + bias);
	CHECK_EQ(im.phdr, text + sizeof(Elf64_Ehdr));
	uint64_t end = data + DATA_MEMSZ;
	CHECK_EQ(im.brk_start, (end + pg - 1) & ~(pg - 1));
	CHECK(proc_alive(p));

	/* The first fetch of the entry: a read fault on a page-cache page (the
	 * page exec read the headers from is cached, so fault-around maps it
	 * where the personality has fault-around). */
	struct mmu_xlate x;
	struct fault_record r;
	memset(&r, 0, sizeof r);
	CHECK_EQ(os_access(k, im.entry, ACC_FETCH, &x, &r), OUT_RESOLVED);
	CHECK(took(&r, STEP_READ_FAULT) || took(&r, STEP_FAULT_AROUND));
	CHECK(!r.major);
	int leaves = 0;
	for (int i = 0; i < r.npte; i++) {
		if (r.pte[i].level != PT_LEVEL_LEAF)
			continue;
		struct pte d = pte_decode(kernel_format(k), PT_LEVEL_LEAF, r.pte[i].new);
		CHECK(d.kind == PTE_PAGE && !d.write && !d.nx && d.user);
		leaves++;
	}
	CHECK(leaves >= 1);
	uint64_t pa = 0;
	struct frame_info fi;
	CHECK(proc_translate(p, text, &pa) && kernel_frame(k, pa, &fi) && fi.use == USE_PAGECACHE);

	/* The file's bytes, where the segments say. */
	uint8_t buf[0x400];
	CHECK_EQ(os_copy_from_user(k, buf, text, 0x400), 0);
	CHECK(!memcmp(buf, file, 0x400));
	CHECK_EQ(os_copy_from_user(k, buf, data, DATA_FILESZ), 0);
	CHECK(!memcmp(buf, file + DATA_OFF, DATA_FILESZ));
	/* padzero: the rest of the data's last file page is zero (the file has
	 * non-zero bytes there), and so is the bss up to brk. */
	uint64_t nonzero = 0;
	for (uint64_t va = data + DATA_FILESZ; va < im.brk_start; va += 8)
		nonzero += user64(k, va) != 0;
	CHECK_EQ(nonzero, 0);
	/* The data page was copied by padzero's write; the text page is shared. */
	CHECK(proc_translate(p, data, &pa) && kernel_frame(k, pa, &fi) && fi.use == USE_ANON);

	/* VMAs: text r-x from the file, data rw- private from the file, bss anonymous rw-. */
	const struct vma *v = vma_at(p, text);
	CHECK(v && v->file && v->flags == (VM_READ | VM_EXEC) && v->start == text && v->end == text + pg);
	v = vma_at(p, data);
	CHECK(v && v->file && v->flags == (VM_READ | VM_WRITE) && v->start == (data & ~(pg - 1)) && v->offset == 0);
	uint64_t bss = (data + DATA_FILESZ + pg - 1) & ~(pg - 1);
	if (bss < im.brk_start) {
		v = vma_at(p, bss);
		CHECK(v && !v->file && v->flags == (VM_READ | VM_WRITE) && v->end == im.brk_start);
	}
	CHECK(!vma_at(p, im.brk_start));
	/* brk starts right there and grows. */
	CHECK_EQ(os_brk(p, 0), im.brk_start);
	CHECK_EQ(os_brk(p, im.brk_start + 100), im.brk_start + 100);
	CHECK_EQ(os_copy_to_user(k, im.brk_start + 50, "heap", 4), 0);

	/* The text cannot be written, by the user or on the user's behalf. */
	CHECK_EQ(os_copy_to_user(k, text + 0x10, "x", 1), -EFAULT);
	CHECK(proc_alive(p));

	/* The stack: exactly create_elf_tables' layout; its VMA ends at STACK_TOP. */
	check_stack(k, &im, 3, what);
	v = vma_at(p, stack_top_of(k) - 1);
	CHECK(v && v->end == stack_top_of(k) && !(v->flags & VM_EXEC));
	CHECK_EQ(os_close(p, 0), -EBADF);   /* the loader's descriptor is gone */
}

/* ---- malformed files ---------------------------------------------------------------- */
static int refused, refused_lines;

/* Loading `path` must fail with `want_rc` and a one-line message containing
 * `want_msg`, leaving the process and its current image alone. */
static void refuse(struct kernel *k, const char *path, int want_rc, const char *want_msg, const char *what)
{
	struct proc *p = kernel_current(k);
	const struct vma *v;
	size_t nvma = proc_vmas(p, &v);
	uint64_t first = nvma ? v[0].start : 0;
	struct exec_image im;
	char err[512] = "";
	int rc = exec(k, path, &im, err, sizeof err);
	CHECK_EQ(rc, want_rc);
	bool one_line = err[0] && !strchr(err, '\n');
	CHECK(one_line);
	if (!strstr(err, want_msg)) {
		CHECK(strstr(err, want_msg));
		fprintf(stderr, "  %s: got \"%s\"\n", what, err);
	} else {
		check_passed++;
	}
	refused++;
	refused_lines += one_line;
	if (getenv("MMUSIM_ELF_VERBOSE"))
		printf("  %-28s %4d  %s\n", what, rc, err);
	CHECK(proc_alive(p));
	CHECK_EQ(proc_vmas(p, &v), nvma);
	CHECK(nvma == 0 || v[0].start == first);
	CHECK_EQ(os_close(p, 0), -EBADF);
}

static void refuse_elf(struct kernel *k, const struct elf *e, int want_rc, const char *want_msg, const char *what)
{
	static uint8_t buf[0x20000];
	refuse(k, write_elf("bad.elf", e, buf), want_rc, want_msg, what);
}

static void malformed(struct kernel *k)
{
	uint16_t m = machine_of(k);
	uint8_t buf[0x2000];
	struct elf good = standard(m, ET_EXEC, 0, 0x10000);
	struct exec_image im;
	char err[512];
	/* A good image first, so that refusals can be seen to leave it. */
	CHECK_EQ(exec(k, write_elf("good.elf", &good, buf), &im, err, sizeof err), 0);

	refuse(k, write_file("empty", "", 0), -ENOEXEC, "empty file", "zero-length file");
	const char *text = "hello, this is just text\n";
	refuse(k, write_file("text", text, strlen(text)), -ENOEXEC, "not an ELF file", "text file");
	refuse(k, write_file("script", "#!/bin/sh\necho hi\n", 18), -ENOEXEC, "a script", "script");
	refuse(k, write_file("tiny", "\177EL", 3), -ENOEXEC, "not an ELF file", "3 bytes");
	refuse(k, root, -EACCES, "is a directory", "directory");
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such-file", root);
	refuse(k, missing, -ENOENT, "cannot open", "missing file");

	/* Headers cut short. */
	elf_bytes(&good, buf);
	refuse(k, write_file("trunc10", buf, 10), -ENOEXEC, "truncated ELF header", "10 bytes");
	refuse(k, write_file("trunc40", buf, 40), -ENOEXEC, "truncated ELF header (40 of 64 bytes)", "40 bytes");
	refuse(k, write_file("trunc100", buf, 100), -ENOEXEC, "program headers [0x40, +0xa8) beyond the end",
	       "truncated program headers");

	/* e_ident. */
	elf_bytes(&good, buf);
	buf[EI_CLASS] = ELFCLASS32;
	refuse(k, write_file("elf32", buf, sizeof buf), -ENOEXEC, "32-bit ELF", "ELF32");
	elf_bytes(&good, buf);
	buf[EI_CLASS] = 7;
	refuse(k, write_file("class7", buf, sizeof buf), -ENOEXEC, "invalid ELF class 7", "bad class");
	elf_bytes(&good, buf);
	buf[EI_DATA] = ELFDATA2MSB;
	refuse(k, write_file("be", buf, sizeof buf), -ENOEXEC, "big-endian", "big-endian");
	elf_bytes(&good, buf);
	buf[EI_VERSION] = 2;
	refuse(k, write_file("ver", buf, sizeof buf), -ENOEXEC, "unsupported ELF version 2", "EI_VERSION 2");

	/* The header proper. */
	struct elf e = good;
	e.type = ET_REL;
	refuse_elf(k, &e, -ENOEXEC, "relocatable object", "ET_REL");
	e.type = ET_CORE;
	refuse_elf(k, &e, -ENOEXEC, "core dump", "ET_CORE");
	e = good;
	e.machine = is_x86(k) ? EM_AARCH64 : EM_X86_64;
	refuse_elf(k, &e, -ENOEXEC, is_x86(k) ? "is an AArch64 executable; the preset is x86-64"
					      : "is an x86-64 executable; the preset is aarch64",
		   "foreign architecture");
	e.machine = EM_386;
	refuse_elf(k, &e, -ENOEXEC, "is a 32-bit x86 (i386) executable", "EM_386");
	e.machine = 0x4242;
	refuse_elf(k, &e, -ENOEXEC, "unsupported machine 16962", "unknown machine");
	e = good;
	elf_bytes(&e, buf);
	((Elf64_Ehdr *)(void *)buf)->e_version = 0;
	refuse(k, write_file("ev0", buf, sizeof buf), -ENOEXEC, "e_version", "e_version 0");
	elf_bytes(&e, buf);
	((Elf64_Ehdr *)(void *)buf)->e_ehsize = 52;
	refuse(k, write_file("ehsize", buf, sizeof buf), -ENOEXEC, "e_ehsize is 52", "e_ehsize");
	elf_bytes(&e, buf);
	((Elf64_Ehdr *)(void *)buf)->e_phentsize = 32;
	refuse(k, write_file("phent", buf, sizeof buf), -ENOEXEC, "e_phentsize is 32", "e_phentsize");
	e.nph = 0;
	refuse_elf(k, &e, -ENOEXEC, "no program headers", "e_phnum 0");
	e = good;
	elf_bytes(&e, buf);
	((Elf64_Ehdr *)(void *)buf)->e_phnum = 0xffff;
	refuse(k, write_file("phnum", buf, sizeof buf), -ENOEXEC, "e_phnum 65535", "absurd e_phnum");
	elf_bytes(&e, buf);
	((Elf64_Ehdr *)(void *)buf)->e_phoff = 0xfffffffffffffff0ull;
	refuse(k, write_file("phoff", buf, sizeof buf), -ENOEXEC, "beyond the end of the file", "absurd e_phoff");

	/* Program headers. */
	e = good;
	e.ph[2] = (struct ph){PT_INTERP, PF_R, 0x1000, 0, 28, 28, 1};
	elf_bytes(&e, buf);
	memcpy(buf + 0x1000, "/lib64/ld-linux-x86-64.so.2", 28);
	/* The interpreter is looked up in the guest's root (no sysroot here):
	 * a missing one is execve's ENOENT, as on Linux. */
	refuse(k, write_file("dyn", buf, sizeof buf), -ENOENT,
	       "interpreter /lib64/ld-linux-x86-64.so.2: No such file or directory", "PT_INTERP");
	e.ph[2].offset = 0x100000;
	refuse_elf(k, &e, -EIO, "cannot read the interpreter's path", "PT_INTERP, bad offset");
	memcpy(buf + 0x1000, "/lib64/ld-linux-x86-64.so.2X", 28);
	e.ph[2].offset = 0x1000;
	elf_bytes(&e, buf);
	refuse(k, write_file("dyn2", buf, sizeof buf), -ENOEXEC, "not NUL-terminated", "PT_INTERP without a NUL");
	e = good;
	e.ph[0].type = PT_NOTE;
	e.ph[1].type = PT_NOTE;
	refuse_elf(k, &e, -ENOEXEC, "no loadable segments", "no PT_LOAD");
	e = good;
	e.ph[1].filesz = 0x2000;
	refuse_elf(k, &e, -ENOEXEC, "segment 1: file range [0x500, +0x2000) beyond the end of the file",
		   "segment beyond EOF");
	e = good;
	e.ph[1].offset = 0xffffffffffff0500ull;
	e.ph[1].vaddr = 0x410500;
	refuse_elf(k, &e, -ENOEXEC, "beyond the end of the file", "absurd p_offset");
	e = good;
	e.ph[1].memsz = 0x100;
	refuse_elf(k, &e, -EINVAL, "p_filesz 0x300 exceeds p_memsz 0x100", "filesz > memsz");
	e = good;
	e.ph[1].vaddr = 0x410600;
	refuse_elf(k, &e, -EINVAL, "are not congruent modulo the", "not congruent");
	e = good;
	e.ph[1].vaddr = 0x400200;
	e.ph[1].offset = 0x200;
	refuse_elf(k, &e, -EINVAL, "segments 0 and 1 overlap", "overlapping segments");
	e = good;
	e.ph[1].vaddr = TEXT_VA + DATA_OFF;   /* the text's page, after its end */
	refuse_elf(k, &e, -EINVAL, "segments 0 and 1 share a", "segments sharing a page");
	e = good;
	e.ph[0] = good.ph[1];
	e.ph[1] = good.ph[0];
	e.ph[1].memsz = e.ph[1].filesz = 0x400;
	refuse_elf(k, &e, -EINVAL, "PT_LOAD entries must ascend", "descending segments");
	e = good;
	e.ph[1].memsz = 0xfffffffffff00000ull;
	refuse_elf(k, &e, -EINVAL, "larger than user space", "huge p_memsz");
	e = good;
	e.ph[1].vaddr = 0xffffffffffff0500ull;
	e.ph[1].memsz = 0x10000;
	refuse_elf(k, &e, -EINVAL, "larger than user space", "p_vaddr + p_memsz overflows");
	e = good;
	e.ph[1].vaddr = 0xffff800000010500ull;
	refuse_elf(k, &e, -EINVAL, "outside user space", "kernel-half segment");
	e = good;
	e.ph[1].vaddr = stack_top_of(k) - 0x10000 + 0x500;
	refuse_elf(k, &e, -EINVAL, "must end below the stack", "segment on the stack");
	e = good;
	e.ph[0].vaddr = 0;
	e.entry = ENTRY_OFF;
	refuse_elf(k, &e, -EINVAL, "below mmap_min_addr", "segment at 0");
	e = good;
	e.entry = 0x500000;
	refuse_elf(k, &e, -ENOEXEC, "entry point 0x500000 is not inside any loadable segment", "bad entry");

	/* After all that, the good image still loads. */
	CHECK_EQ(exec(k, write_elf("good.elf", &good, buf), &im, err, sizeof err), 0);
}

/* A binary linked for 4 KiB pages (segments congruent only modulo 4 KiB). */
static void small_page_binary(void)
{
	uint8_t buf[0x2000];
	struct elf e = standard(EM_AARCH64, ET_EXEC, 0, 0x1000);
	e.ph[1].vaddr = 0x401000 + DATA_OFF;
	const char *path = write_elf("linked4k.elf", &e, buf);
	struct kernel *k = make_kernel("cortex-a76");
	struct exec_image im;
	char err[512];
	CHECK_EQ(exec(k, path, &im, err, sizeof err), 0);
	kernel_destroy(k);
	k = make_kernel("apple16k");
	refuse(k, path, -EINVAL, "not congruent modulo the 16 KiB page size", "4K-linked on 16K");
	kernel_destroy(k);
	k = make_kernel_64k();
	refuse(k, path, -EINVAL, "not congruent modulo the 64 KiB page size", "4K-linked on 64K");
	kernel_destroy(k);
}

/* PT_GNU_STACK with PF_X: the stack is executable. */
static void exec_stack(void)
{
	struct kernel *k = make_kernel("skylake");
	uint8_t buf[0x2000];
	struct elf e = standard(EM_X86_64, ET_EXEC, 0, 0x1000);
	e.ph[2].flags = PF_R | PF_W | PF_X;
	struct exec_image im;
	char err[512];
	CHECK_EQ(exec(k, write_elf("xstack.elf", &e, buf), &im, err, sizeof err), 0);
	const struct vma *v = vma_at(kernel_current(k), stack_top_of(k) - 1);
	CHECK(v && (v->flags & VM_EXEC));
	kernel_destroy(k);
}

/* No arguments, no environment, no execfn: argv becomes { "" } and
 * AT_EXECFN the host path. */
static void empty_argv(void)
{
	struct kernel *k = make_kernel("cortex-a76");
	uint8_t buf[0x2000];
	struct elf e = standard(EM_AARCH64, ET_EXEC, 0, 0x10000);
	const char *path = write_elf("noargs.elf", &e, buf);
	struct exec_image im;
	char err[512];
	CHECK_EQ(os_exec_elf(kernel_current(k), path, 0, NULL, NULL, NULL, &im, err, sizeof err), 0);
	CHECK_EQ(user64(k, im.sp), 1);
	check_string(k, user64(k, im.sp + 8), "");
	CHECK_EQ(user64(k, im.sp + 16), 0);
	CHECK_EQ(user64(k, im.sp + 24), 0);   /* envp: empty */
	uint64_t q = im.sp + 32, execfn = 0;
	for (int i = 0; i < 32 && user64(k, q) != AT_NULL; i++, q += 16)
		if (user64(k, q) == AT_EXECFN)
			execfn = user64(k, q + 8);
	check_string(k, execfn, path);
	CHECK_EQ(execfn, stack_top_of(k) - 8 - strlen(path) - 1);
	kernel_destroy(k);
}

/* A segment with no file bytes at all (a pure bss segment), and one whose
 * file part ends on a page boundary. */
static void bss_only(void)
{
	struct kernel *k = make_kernel("skylake");
	uint8_t buf[0x2000];
	struct elf e = standard(EM_X86_64, ET_EXEC, 0, 0x1000);
	e.ph[1] = (struct ph){PT_LOAD, PF_R | PF_W, 0, 0x600000, 0, 0x1800, 0x1000};
	e.ph[2] = (struct ph){PT_LOAD, PF_R | PF_W, 0x1000, 0x701000, 0x1000, 0x1008, 0x1000};
	e.nph = 3;
	struct exec_image im;
	char err[512];
	int rc = exec(k, write_elf("bss.elf", &e, buf), &im, err, sizeof err);
	CHECK_EQ(rc, 0);
	if (rc)
		fprintf(stderr, "bss_only: %s\n", err);
	CHECK_EQ(user64(k, 0x600000), 0);
	CHECK_EQ(user64(k, 0x6017f8), 0);
	const struct vma *v = vma_at(kernel_current(k), 0x600000);
	CHECK(v && !v->file && v->end == 0x602000);
	uint8_t b[8];
	CHECK_EQ(os_copy_from_user(k, b, 0x701ff8, 8), 0);
	CHECK(!memcmp(b, buf + 0x1ff8, 8));
	CHECK_EQ(user64(k, 0x702000), 0);
	CHECK_EQ(im.brk_start, 0x703000);
	kernel_destroy(k);
}

/* ---- user memory -------------------------------------------------------------------- */
static void uaccess(const char *preset)
{
	struct kernel *k = make_kernel(preset);
	kernel_subscribe(k, on_event, NULL);
	struct proc *p = kernel_current(k);
	uint8_t file[0x2000];
	struct elf e = standard(machine_of(k), ET_EXEC, 0, 0x10000);
	struct exec_image im;
	char err[512];
	CHECK_EQ(exec(k, write_elf("u.elf", &e, file), &im, err, sizeof err), 0);
	uint64_t pg = page_of(k), top = kernel_format(k)->arch == ARCH_X86_64 ? 0x7ffffffff000ull : 1ull << 48;
	uint8_t buf[4 * 65536 + 256];
	struct os_stats st0, st1;

	/* Bad pointers: -EFAULT, and the process lives on. */
	CHECK_EQ(os_copy_from_user(k, buf, 0x20000000, 8), -EFAULT);          /* unmapped */
	CHECK_EQ(faults.rec[(faults.n - 1) % 64].va, 0x20000000);            /* an ordinary fault record */
	CHECK_EQ(os_copy_to_user(k, 0x20000000, buf, 8), -EFAULT);
	CHECK_EQ(os_copy_to_user(k, TEXT_VA, buf, 8), -EFAULT);              /* read-only */
	kernel_stats(k, &st0);
	uint64_t kernel_va = is_x86(k) ? 0xffff800000001000ull : 0xffff000000001000ull;
	CHECK_EQ(os_copy_from_user(k, buf, kernel_va, 8), -EFAULT);            /* kernel half */
	CHECK_EQ(os_copy_to_user(k, kernel_va, buf, 8), -EFAULT);
	if (is_x86(k))
		CHECK_EQ(os_copy_from_user(k, buf, 0x0000800000000000ull, 8), -EFAULT); /* non-canonical */
	CHECK_EQ(os_copy_from_user(k, buf, 0x0008000000000000ull, 8), -EFAULT); /* beyond 48 bits */
	CHECK_EQ(os_copy_from_user(k, buf, top - 4, 8), -EFAULT);               /* crosses the top */
	CHECK_EQ(os_copy_from_user(k, buf, UINT64_MAX - 3, 8), -EFAULT);        /* wraps */
	CHECK_EQ(os_copy_to_user(k, UINT64_MAX, buf, 2), -EFAULT);
	CHECK_EQ(os_strncpy_from_user(k, (char *)buf, kernel_va, 16), -EFAULT);
	CHECK_EQ(os_copy_from_user(k, buf, 0x20000000, 0), 0);                  /* nothing to copy */
	CHECK_EQ(os_copy_to_user(k, TEXT_VA, buf, 0), 0);
	kernel_stats(k, &st1);
	CHECK_EQ(st1.faults, st0.faults);   /* access_ok refused them: no fault taken */
	CHECK(proc_alive(p));

	/* A copy over three fresh anonymous pages: three faults, each its page. */
	uint64_t base = 0x30000000;
	CHECK_EQ(os_mmap(p, base, 4 * pg, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), (int64_t)base);
	uint64_t len = pg + 100, va = base + pg - 50;
	for (uint64_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	uint64_t n0 = faults.n;
	CHECK_EQ(os_copy_to_user(k, va, buf, len), 0);
	CHECK_EQ(faults.n - n0, 3);
	for (uint64_t i = 0; i < 3 && faults.n - n0 == 3; i++) {
		const struct fault_record *r = &faults.rec[(n0 + i) % 64];
		CHECK_EQ(r->va, i == 0 ? va : base + i * pg);
		CHECK_EQ(r->outcome, OUT_RESOLVED);
		CHECK(took(r, STEP_ANON_PAGE));
		CHECK_EQ(r->access, ACC_WRITE);
	}
	uint8_t back[65536 + 256];
	CHECK_EQ(os_copy_from_user(k, back, va, len), 0);
	CHECK(!memcmp(back, buf, len));
	CHECK_EQ(faults.n - n0, 3);   /* the read back faults nothing */
	/* A read of a fresh page: the zero page, read-only. */
	n0 = faults.n;
	CHECK_EQ(os_copy_from_user(k, back, base + 3 * pg, 16), 0);
	CHECK_EQ(faults.n - n0, 1);
	CHECK(took(&faults.rec[n0 % 64], STEP_ZERO_PAGE));

	/* A copy that runs into an unmapped page fails there, having copied what came before. */
	CHECK_EQ(os_copy_to_user(k, base + 4 * pg - 8, "ABCDEFGHIJKLMNOP", 16), -EFAULT);
	CHECK_EQ(os_copy_from_user(k, back, base + 4 * pg - 8, 8), 0);
	CHECK(!memcmp(back, "ABCDEFGH", 8));
	CHECK(proc_alive(p));

	/* strncpy_from_user. */
	char s[256];
	CHECK_EQ(os_copy_to_user(k, base + pg - 3, "abcdef", 7), 0);         /* crosses a page */
	CHECK_EQ(os_strncpy_from_user(k, s, base + pg - 3, sizeof s), 6);
	CHECK_STR(s, "abcdef");
	CHECK_EQ(os_strncpy_from_user(k, s, base + pg - 3, 7), 6);           /* the NUL is the 7th byte */
	CHECK_EQ(os_strncpy_from_user(k, s, base + pg - 3, 6), -ENAMETOOLONG);
	CHECK_EQ(os_strncpy_from_user(k, s, base + pg - 3, 0), -ENAMETOOLONG);
	/* A string ending at the last byte of the mapping: the next page is not touched. */
	CHECK_EQ(os_copy_to_user(k, base + 4 * pg - 4, "xyz", 4), 0);
	n0 = faults.n;
	CHECK_EQ(os_strncpy_from_user(k, s, base + 4 * pg - 4, sizeof s), 3);
	CHECK_STR(s, "xyz");
	CHECK_EQ(faults.n, n0);
	/* ... and one that runs on into the unmapped page faults. */
	CHECK_EQ(os_copy_to_user(k, base + 4 * pg - 4, "wxyz", 4), 0);
	CHECK_EQ(os_strncpy_from_user(k, s, base + 4 * pg - 4, sizeof s), -EFAULT);
	CHECK_EQ(os_strncpy_from_user(k, s, 0x20000000, sizeof s), -EFAULT);
	/* Up against the top of user space (AArch64: its last page can be mapped). */
	if (!is_x86(k)) {
		uint64_t last = top - pg;
		CHECK_EQ(os_mmap(p, last, pg, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), (int64_t)last);
		memset(buf, 'a', pg);
		CHECK_EQ(os_copy_to_user(k, last, buf, pg), 0);
		CHECK_EQ(os_copy_from_user(k, back, top - 8, 8), 0);
		CHECK_EQ(os_strncpy_from_user(k, s, top - 8, 100), -EFAULT);        /* the top cut max short */
		CHECK_EQ(os_strncpy_from_user(k, s, top - 8, 8), -ENAMETOOLONG);    /* max itself reached */
		CHECK_EQ(os_copy_to_user(k, top - 1, "", 1), 0);
		CHECK_EQ(os_strncpy_from_user(k, s, top - 8, 100), 7);
	} else {
		/* x86: the stack's top page is the last user page; its last 8 bytes are zero. */
		CHECK_EQ(os_strncpy_from_user(k, s, top - 8, 100), 0);
		CHECK_EQ(os_copy_from_user(k, back, top - 8, 8), 0);
	}
	/* Writes into a private file page copy it (COW) and leave the file alone. */
	CHECK_EQ(os_copy_to_user(k, DATA_VA, "DATA", 4), 0);
	CHECK_EQ(os_copy_from_user(k, back, DATA_VA, 5), 0);
	CHECK(!memcmp(back, "DATA", 4) && back[4] == file[DATA_OFF + 4]);
	CHECK(proc_alive(p));
	kernel_destroy(k);
}

/* Headers with random bytes changed: each load either succeeds or is
 * refused with one line; the process survives, unless a segment's bss
 * claims more than RAM and swap (then it is killed by SIGSEGV past the
 * point of no return, as Linux's vm_brk_flags makes it). */
static void mutations(const char *preset)
{
	struct kernel *k = make_kernel(preset);
	struct proc *p = kernel_current(k);
	static uint8_t buf[0x2000];
	struct elf e = standard(machine_of(k), ET_EXEC, 0, 0x10000);
	uint64_t x = 0x1234567;
	int loaded = 0, killed = 0, n = 300;
	for (int i = 0; i < n; i++) {
		elf_bytes(&e, buf);
		int flips = 1 + (int)((x >> 7) % 4);
		for (int f = 0; f < flips; f++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t off = (x >> 33) % (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr));
			uint8_t val = (uint8_t)(x >> 17);
			buf[off] = (x >> 60) & 1 ? val : (uint8_t)(buf[off] ^ (1u << (val & 7)));
		}
		const char *path = write_file("mut", buf, sizeof buf);
		struct exec_image im;
		char err[512] = "";
		int rc = exec(k, path, &im, err, sizeof err);
		if (rc == 0) {
			loaded++;
			CHECK(im.sp % 16 == 0 && user64(k, im.sp) == 3);
		} else {
			CHECK(err[0] && !strchr(err, '\n'));
		}
		if (!proc_alive(p)) {   /* a bss past RAM + swap: killed, a fresh machine for the next */
			CHECK(rc == -ENOMEM && strstr(err, "bss") && proc_exit_status(p) == 128 + SIGSEGV);
			killed++;
			kernel_destroy(k);
			k = make_kernel(preset);
			p = kernel_current(k);
			continue;
		}
		CHECK_EQ(os_close(p, 0), -EBADF);
	}
	printf("  %s: %d of %d mutated headers loaded, %d killed (bss past RAM + swap), the rest refused\n", preset,
	       loaded, n, killed);
	kernel_destroy(k);
}

/* The guests' hello, when built: loads, and its entry's bytes are the file's. */
static void real_hello(const char *preset, const char *arch)
{
	const char *dir = getenv("MMUSIM_GUEST_DIR");
	char path[600];
	snprintf(path, sizeof path, "%s/%s/hello", dir ? dir : "guests", arch);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("  (no %s: skipped)\n", path);
		return;
	}
	Elf64_Ehdr eh;
	Elf64_Phdr ph[32];
	bool ok = fread(&eh, sizeof eh, 1, f) == 1 && eh.e_phnum <= 32 && !fseek(f, (long)eh.e_phoff, SEEK_SET) &&
		  fread(ph, sizeof ph[0], eh.e_phnum, f) == eh.e_phnum;
	CHECK(ok);
	if (!ok) {
		fclose(f);
		return;
	}
	struct kernel *k = make_kernel(preset);
	kernel_subscribe(k, on_event, NULL);
	struct exec_image im;
	char err[512] = "";
	char *argv[] = {"hello", NULL}, *envp[] = {"PATH=/bin", NULL};
	uint64_t n0 = faults.n;
	int rc = os_exec_elf(kernel_current(k), path, 1, argv, envp, "/hello", &im, err, sizeof err);
	CHECK_EQ(rc, 0);
	if (rc)
		fprintf(stderr, "%s on %s: %s\n", path, preset, err);
	CHECK_EQ(im.entry, eh.e_entry);
	CHECK_EQ(im.load_bias, 0);
	uint64_t pg = page_of(k), end = 0, phdr = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > end)
			end = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh.e_phoff &&
		    eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
			phdr = ph[i].p_vaddr + eh.e_phoff - ph[i].p_offset;
	}
	CHECK_EQ(im.brk_start, (end + pg - 1) & ~(pg - 1));
	CHECK_EQ(im.phdr, phdr);
	uint8_t want[64], got[64];
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && eh.e_entry >= ph[i].p_vaddr && eh.e_entry < ph[i].p_vaddr + ph[i].p_filesz) {
			CHECK(!fseek(f, (long)(ph[i].p_offset + eh.e_entry - ph[i].p_vaddr), SEEK_SET) &&
			      fread(want, 1, sizeof want, f) == sizeof want);
		}
	CHECK_EQ(os_copy_from_user(k, got, im.entry, sizeof got), 0);
	CHECK(!memcmp(want, got, sizeof got));
	CHECK_EQ(user64(k, im.sp), 1);
	printf("  %s on %s: entry 0x%llx sp 0x%llx brk 0x%llx, %llu faults while loading\n", arch, preset,
	       (unsigned long long)im.entry, (unsigned long long)im.sp, (unsigned long long)im.brk_start,
	       (unsigned long long)(faults.n - n0));
	fclose(f);
	kernel_destroy(k);
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/mmusim-elf-XXXXXX");
	if (!mkdtemp(root))
		return 2;

	/* ET_EXEC on every architecture and page size. */
	const char *presets[] = {"skylake", "cortex-a76", "apple16k"};
	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_kernel(presets[i]);
		check_load(k, ET_EXEC, 0x10000, 0, presets[i]);
		kernel_destroy(k);
	}
	struct kernel *k64 = make_kernel_64k();
	check_load(k64, ET_EXEC, 0x10000, 0, "aarch64/64k");
	kernel_destroy(k64);
	/* The other personalities: no fault-around, stacks reserved whole. */
	static const char *const others[][2] = {{"skylake", "xnu"}, {"apple16k", "xnu"}, {"cortex-a76", "liteos"}};
	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_kernel_pers(others[i][0], others[i][1]);
		check_load(k, ET_EXEC, 0x10000, 0, others[i][1]);
		kernel_destroy(k);
	}

	/* Static PIE at ELF_ET_DYN_BASE, aligned to the largest p_align. */
	static const struct {
		const char *preset;
		uint64_t align, bias;
	} pie[] = {
		{"skylake", 0x1000, 0x555555554000ull},    {"skylake", 0x200000, 0x555555400000ull},
		{"cortex-a76", 0x1000, 0xaaaaaaaaa000ull}, {"cortex-a76", 0x10000, 0xaaaaaaaa0000ull},
		{"apple16k", 0x1000, 0xaaaaaaaa8000ull},   {"apple16k", 0x10000, 0xaaaaaaaa0000ull},
	};
	for (size_t i = 0; i < sizeof pie / sizeof pie[0]; i++) {
		struct kernel *k = make_kernel(pie[i].preset);
		check_load(k, ET_DYN, pie[i].align, pie[i].bias, pie[i].preset);
		kernel_destroy(k);
	}
	k64 = make_kernel_64k();
	check_load(k64, ET_DYN, 0x1000, 0xaaaaaaaa0000ull, "aarch64/64k pie");
	kernel_destroy(k64);

	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_kernel(presets[i]);
		malformed(k);
		kernel_destroy(k);
	}
	for (int i = 0; i < 3; i++)
		mutations(presets[i]);
	small_page_binary();
	exec_stack();
	empty_argv();
	bss_only();
	for (int i = 0; i < 3; i++)
		uaccess(presets[i]);
	real_hello("skylake", "x86_64");
	real_hello("cortex-a76", "aarch64");
	real_hello("apple16k", "aarch64");
	printf("  %d malformed inputs refused, %d with a one-line message\n", refused, refused_lines);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_report("test_elf");
}
