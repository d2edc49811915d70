/* The ELF loader: executables for the kernel's architecture, static or
 * with an interpreter, loaded as Linux's load_elf_binary (fs/binfmt_elf.c,
 * 6.1) does, without ASLR.
 *
 *   1. Read and check the ELF header and program headers through the page
 *      cache (kernel_read), trusting nothing: ELFCLASS64, little-endian,
 *      EV_CURRENT, ET_EXEC or ET_DYN, the kernel's e_machine; PT_INTERP's
 *      path (2 bytes to PATH_MAX, NUL-terminated) opened in the guest's
 *      namespace (root, then sysroot: a missing one is ENOENT) and checked
 *      the same way, before the point of no return; every PT_LOAD inside the file, p_filesz <= p_memsz,
 *      p_vaddr and p_offset congruent modulo the simulated page size,
 *      ascending and on pages of their own, inside user space and clear of
 *      the stack. Each refusal is one line and a negative errno; nothing is
 *      touched until all of it has passed.
 *   2. The point of no return: a fresh address space (proc_exec) with the
 *      stack at STACK_TOP and brk after the highest segment.
 *   3. Each PT_LOAD: a private file mapping of its pages (elf_map); past
 *      p_filesz the rest of the last file page is zeroed (padzero, a COW
 *      fault) and the remaining pages are anonymous memory (the bss, as
 *      vm_brk_flags makes it: read-write, executable if the segment is).
 *   4. The interpreter (load_elf_interp): an ET_DYN one where mmap puts
 *      its whole extent (top-down below mmap_base), the first segment
 *      mapped with the total size and the excess unmapped, the others
 *      fixed; the program starts at its entry, AT_BASE says where it is.
 *   5. The initial stack (copy_strings, create_elf_tables), written through
 *      copy_to_user so its pages fault in as on Linux. No vDSO (no
 *      AT_SYSINFO_EHDR): glibc then makes clock_gettime and friends real
 *      system calls. AT_HWCAP and AT_HWCAP2 are 0 (no feature vouched for);
 *      AT_MINSIGSTKSZ comes first, as ARCH_DLINFO puts it: the most a
 *      signal frame of this model takes (sigframe.c; glibc's
 *      sysconf(_SC_MINSIGSTKSZ) and _SC_SIGSTKSZ follow from it).
 *
 * Addresses (no randomization: runs are deterministic):
 *   STACK_TOP        x86-64 0x7ffffffff000 (TASK_SIZE_MAX, 47-bit, also
 *                    under LA57: DEFAULT_MAP_WINDOW); arm64 0xffffffff0000.
 *   ELF_ET_DYN_BASE  x86-64 DEFAULT_MAP_WINDOW / 3 * 2 = 0x555555554aaa;
 *                    arm64 2 * 2^48 / 3 = 0xaaaaaaaaaaaa; aligned down to
 *                    the largest power-of-two PT_LOAD p_align (at least a
 *                    page), minus the first segment's page-aligned p_vaddr.
 *                    (Linux 6.1 places a static PIE, which has no
 *                    interpreter, in the mmap area instead; a fixed base
 *                    keeps it where a PIE program would go.) */
#include "os/kernel/kernel.h"
#include "mmu/errmsg.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMAP_MIN_ADDR 0x10000ull                 /* mmap_min_addr */
#define X86_STACK_TOP 0x7ffffffff000ull          /* DEFAULT_MAP_WINDOW */
#define ARM64_STACK_TOP 0xffffffff0000ull
#define X86_DYN_BASE (X86_STACK_TOP / 3 * 2)     /* ELF_ET_DYN_BASE */
#define ARM64_DYN_BASE (2 * (1ull << 48) / 3)
#define MAX_ARG_PAGES 32                          /* MAX_ARG_STRLEN: 32 pages */
#define ARG_MAX_BYTES 131072ull                   /* ARG_MAX */
#define STK_LIM (8ull << 20)                      /* _STK_LIM */
#define MAX_LOADS 1170                            /* 65536 / sizeof(Elf64_Phdr) */
#define AUX_MAX 24
#define INTERP_MAX 4096                           /* PATH_MAX */

/* AT_RANDOM's 16 bytes: always the same, from a fixed seed. */
#define RANDOM_SEED 0x6d6d7573696d0001ull        /* "mmusim" */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(err, errlen, NULL, ERRMSG_NO_LINE, fmt, ap);   /* each message names the file itself */
	va_end(ap);
	return rc;
}

static const char *page_name(uint64_t page)
{
	return page == 4096 ? "4 KiB" : page == 16384 ? "16 KiB" : page == 65536 ? "64 KiB" : "base";
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_X86_64: return "an x86-64";
	case EM_AARCH64: return "an AArch64";
	case EM_386: return "a 32-bit x86 (i386)";
	case EM_ARM: return "a 32-bit Arm";
	case EM_RISCV: return "a RISC-V";
	case EM_PPC64: return "a PowerPC64";
	case EM_PPC: return "a PowerPC";
	case EM_S390: return "an s390";
	case EM_MIPS: return "a MIPS";
	case EM_SPARCV9: return "a SPARC64";
	case 258: return "a LoongArch";   /* EM_LOONGARCH */
	default: return NULL;
	}
}

struct load {
	int index;                 /* in the program header table */
	uint64_t vaddr, offset, filesz, memsz;
	uint32_t prot;             /* PROT_* (= VM_READ/WRITE/EXEC bits) */
};

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_LOADS];
	struct load load[MAX_LOADS];
	int nload;
	bool exec_stack;           /* PT_GNU_STACK with PF_X */
	bool have_phdr_seg;        /* PT_PHDR */
	uint64_t phdr_seg_vaddr;
	uint64_t bias, brk, entry, phdr;
	uint64_t interp_base, interp_entry;   /* AT_BASE and where the program starts */
	bool is_interp;            /* placed by mmap, not at ELF_ET_DYN_BASE */
	bool has_interp;           /* PT_INTERP: the interpreter's path below */
	char interp[INTERP_MAX];
};

static uint64_t page_down(const struct kernel *k, uint64_t v) { return v & ~(k->page - 1); }
/* Callers make sure v + page - 1 does not overflow. */
static uint64_t page_up(const struct kernel *k, uint64_t v) { return (v + k->page - 1) & ~(k->page - 1); }

static bool read_exact(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off)
{
	return os_pread(p, fd, buf, len, off) == (int64_t)len;
}

static uint64_t stack_top_for(const struct kernel *k)
{
	uint64_t top = k->fmt->arch == ARCH_X86_64 ? X86_STACK_TOP : ARM64_STACK_TOP;
	if (top > k->user_top)
		top = k->user_top;
	return page_down(k, top);
}

/* The ELF header (e_ident first, for the most telling message). */
static int check_header(struct proc *p, int fd, uint64_t size, const char *name, Elf64_Ehdr *eh, char *err,
			size_t errlen)
{
	struct kernel *k = p->k;
	unsigned char id[EI_NIDENT] = {0};
	uint64_t have = size < EI_NIDENT ? size : EI_NIDENT;
	if (size == 0)
		return fail(err, errlen, -ENOEXEC, "%s: empty file, not an ELF executable", name);
	if (!read_exact(p, fd, id, have, 0))
		return fail(err, errlen, -EIO, "%s: cannot read the ELF header", name);
	if (have < SELFMAG || memcmp(id, ELFMAG, SELFMAG)) {
		if (have >= 2 && id[0] == '#' && id[1] == '!')
			return fail(err, errlen, -ENOEXEC, "%s: a script (#!), not an ELF executable", name);
		return fail(err, errlen, -ENOEXEC, "%s: not an ELF file (no \\177ELF magic)", name);
	}
	if (have < EI_NIDENT)
		return fail(err, errlen, -ENOEXEC, "%s: truncated ELF header (%llu bytes)", name,
			    (unsigned long long)size);
	if (id[EI_CLASS] == ELFCLASS32)
		return fail(err, errlen, -ENOEXEC, "%s: a 32-bit ELF (ELFCLASS32); only 64-bit executables run",
			    name);
	if (id[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, -ENOEXEC, "%s: invalid ELF class %u", name, id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return fail(err, errlen, -ENOEXEC, "%s: a big-endian ELF (ELFDATA2MSB); only little-endian executables run",
			    name);
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, -ENOEXEC, "%s: invalid ELF data encoding %u", name, id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, -ENOEXEC, "%s: unsupported ELF version %u in e_ident", name, id[EI_VERSION]);
	if (size < sizeof *eh)
		return fail(err, errlen, -ENOEXEC, "%s: truncated ELF header (%llu of %zu bytes)", name,
			    (unsigned long long)size, sizeof *eh);
	if (!read_exact(p, fd, eh, sizeof *eh, 0))
		return fail(err, errlen, -EIO, "%s: cannot read the ELF header", name);
	switch (eh->e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_REL:
		return fail(err, errlen, -ENOEXEC, "%s: a relocatable object (ET_REL), not an executable: link it", name);
	case ET_CORE:
		return fail(err, errlen, -ENOEXEC, "%s: a core dump (ET_CORE), not an executable", name);
	default:
		return fail(err, errlen, -ENOEXEC, "%s: unknown ELF type %u, not an executable", name, eh->e_type);
	}
	unsigned want = k->fmt->arch == ARCH_X86_64 ? EM_X86_64 : EM_AARCH64;
	if (eh->e_machine != want) {
		const char *m = machine_name(eh->e_machine);
		if (m)
			return fail(err, errlen, -ENOEXEC, "%s is %s executable; the preset is %s", name, m,
				    mmu_arch_name(k->fmt->arch));
		return fail(err, errlen, -ENOEXEC, "%s: unsupported machine %u (e_machine); the preset is %s", name,
			    eh->e_machine, mmu_arch_name(k->fmt->arch));
	}
	if (eh->e_version != EV_CURRENT)
		return fail(err, errlen, -ENOEXEC, "%s: unsupported ELF version %u (e_version)", name, eh->e_version);
	if (eh->e_ehsize != sizeof *eh)
		return fail(err, errlen, -ENOEXEC, "%s: e_ehsize is %u, not %zu", name, eh->e_ehsize, sizeof *eh);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, -ENOEXEC, "%s: e_phentsize is %u, not %zu", name, eh->e_phentsize,
			    sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return fail(err, errlen, -ENOEXEC, "%s: no program headers (e_phnum is 0)", name);
	/* elf_read_phdrs: the table must fit in 64 KiB and in a page. */
	uint64_t phsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (phsize > 65536 || phsize > k->page)
		return fail(err, errlen, -ENOEXEC, "%s: e_phnum %u: %llu bytes of program headers exceed a %s page", name,
			    eh->e_phnum, (unsigned long long)phsize, page_name(k->page));
	if (eh->e_phoff > size || phsize > size - eh->e_phoff)
		return fail(err, errlen, -ENOEXEC,
			    "%s: program headers [0x%llx, +0x%llx) beyond the end of the file (%llu bytes)", name,
			    (unsigned long long)eh->e_phoff, (unsigned long long)phsize, (unsigned long long)size);
	return 0;
}

/* PT_INTERP: the interpreter's path, as load_elf_binary reads it: at
 * least 2 bytes, at most PATH_MAX, NUL-terminated, inside the file. */
static int read_interp(struct proc *p, int fd, uint64_t size, const char *name, const Elf64_Phdr *ph,
		       struct image *im, char *err, size_t errlen)
{
	if (ph->p_filesz < 2 || ph->p_filesz > sizeof im->interp)
		return fail(err, errlen, -ENOEXEC, "%s: PT_INTERP of %llu bytes (2 to %zu allowed)", name,
			    (unsigned long long)ph->p_filesz, sizeof im->interp);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset ||
	    !read_exact(p, fd, im->interp, ph->p_filesz, ph->p_offset))
		return fail(err, errlen, -EIO, "%s: cannot read the interpreter's path (PT_INTERP)", name);
	if (im->interp[ph->p_filesz - 1] != '\0')
		return fail(err, errlen, -ENOEXEC, "%s: the interpreter's path (PT_INTERP) is not NUL-terminated", name);
	im->has_interp = true;
	return 0;
}

static int check_load(const struct kernel *k, const Elf64_Phdr *ph, int n, uint64_t size, const char *name,
		      char *err, size_t errlen)
{
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return fail(err, errlen, -ENOEXEC,
			    "%s: segment %d: file range [0x%llx, +0x%llx) beyond the end of the file (%llu bytes)", name, n,
			    (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
			    (unsigned long long)size);
	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen, -EINVAL, "%s: segment %d: p_filesz 0x%llx exceeds p_memsz 0x%llx", name, n,
			    (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if ((ph->p_vaddr & (k->page - 1)) != (ph->p_offset & (k->page - 1)))
		return fail(err, errlen, -EINVAL,
			    "%s: segment %d: p_vaddr 0x%llx and p_offset 0x%llx are not congruent modulo the %s page size "
			    "(linked for smaller pages? relink with -z max-page-size=%llu)",
			    name, n, (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_offset,
			    page_name(k->page), (unsigned long long)k->page);
	/* Sizes that cannot fit in user space are refused before any
	 * arithmetic on them. */
	if (ph->p_memsz > k->user_top || ph->p_vaddr > UINT64_MAX - ph->p_memsz)
		return fail(err, errlen, -EINVAL, "%s: segment %d: [0x%llx, +0x%llx) is larger than user space", name, n,
			    (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz);
	return 0;
}

/* Linux's maximum_alignment: the largest power-of-two p_align, at least a page. */
static uint64_t max_alignment(const struct kernel *k, const Elf64_Phdr *ph, int n)
{
	uint64_t a = k->page;
	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_align && !(ph[i].p_align & (ph[i].p_align - 1)) &&
		    ph[i].p_align > a)
			a = ph[i].p_align;
	return a;
}

/* Everything about the file, checked; nothing in p changes. */
static int parse(struct proc *p, int fd, const char *name, struct image *im, char *err, size_t errlen)
{
	struct kernel *k = p->k;
	uint64_t size = fd_get(p, fd)->inode->size;
	int rc = check_header(p, fd, size, name, &im->eh, err, errlen);
	if (rc)
		return rc;
	const Elf64_Ehdr *eh = &im->eh;
	const Elf64_Phdr *ph = im->ph;
	if (!read_exact(p, fd, im->ph, (uint64_t)eh->e_phnum * sizeof *ph, eh->e_phoff))
		return fail(err, errlen, -EIO, "%s: cannot read the program headers", name);
	int nph = eh->e_phnum;
	for (int i = 0; i < nph && !im->has_interp; i++)   /* the first one counts */
		if (ph[i].p_type == PT_INTERP && (rc = read_interp(p, fd, size, name, &ph[i], im, err, errlen)))
			return rc;
	im->nload = 0;
	for (int i = 0; i < nph; i++) {
		if (ph[i].p_type == PT_GNU_STACK)
			im->exec_stack = ph[i].p_flags & PF_X;
		if (ph[i].p_type == PT_PHDR && !im->have_phdr_seg) {
			im->have_phdr_seg = true;
			im->phdr_seg_vaddr = ph[i].p_vaddr;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if ((rc = check_load(k, &ph[i], i, size, name, err, errlen)))
			return rc;
		if (ph[i].p_memsz == 0)
			continue;   /* maps nothing */
		struct load *l = &im->load[im->nload++];
		l->index = i;
		l->vaddr = ph[i].p_vaddr;
		l->offset = ph[i].p_offset;
		l->filesz = ph[i].p_filesz;
		l->memsz = ph[i].p_memsz;
		l->prot = (ph[i].p_flags & PF_R ? VM_READ : 0) | (ph[i].p_flags & PF_W ? VM_WRITE : 0) |
			  (ph[i].p_flags & PF_X ? VM_EXEC : 0);
	}
	if (im->nload == 0)
		return fail(err, errlen, -ENOEXEC, "%s: no loadable segments (PT_LOAD)", name);
	/* No two segments overlap; they come in ascending order; no page
	 * holds parts of two of them. */
	for (int i = 0; i < im->nload; i++)
		for (int j = i + 1; j < im->nload; j++) {
			const struct load *a = &im->load[i], *b = &im->load[j];
			if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
				return fail(err, errlen, -EINVAL,
					    "%s: segments %d and %d overlap ([0x%llx, 0x%llx) and [0x%llx, 0x%llx))", name, a->index, b->index, (unsigned long long)a->vaddr,
					    (unsigned long long)(a->vaddr + a->memsz), (unsigned long long)b->vaddr,
					    (unsigned long long)(b->vaddr + b->memsz));
		}
	for (int i = 1; i < im->nload; i++) {
		const struct load *a = &im->load[i - 1], *b = &im->load[i];
		if (b->vaddr < a->vaddr)
			return fail(err, errlen, -EINVAL,
				    "%s: segment %d comes before segment %d in memory: PT_LOAD entries must ascend", name, b->index, a->index);
	}
	/* Where it goes. */
	im->bias = 0;
	if (eh->e_type == ET_DYN && !im->is_interp) {
		uint64_t base = k->fmt->arch == ARCH_X86_64 ? X86_DYN_BASE : ARM64_DYN_BASE;
		base &= ~(max_alignment(k, ph, nph) - 1);
		im->bias = page_down(k, base - im->load[0].vaddr);   /* ELF_PAGESTART(load_bias - vaddr) */
	}
	uint64_t stack_top = stack_top_for(k);
	uint64_t limit = stack_top > proc_stack_limit(p) ? page_down(k, stack_top - proc_stack_limit(p)) : 0;
	uint64_t brk = 0;
	for (int i = 0; i < im->nload; i++) {
		const struct load *l = &im->load[i];
		uint64_t start = l->vaddr + im->bias;
		if (page_down(k, start) < MMAP_MIN_ADDR && !(im->is_interp && eh->e_type == ET_DYN))   /* placed later */
			return fail(err, errlen, -EINVAL, "%s: segment %d at 0x%llx is below mmap_min_addr (0x%llx)", name,
				    l->index, (unsigned long long)start, MMAP_MIN_ADDR);
		if (start > limit || l->memsz > limit - start)
			return fail(err, errlen, -EINVAL,
				    "%s: segment %d [0x%llx, +0x%llx) is outside user space "
				    "(segments must end below the stack, 0x%llx)", name, l->index, (unsigned long long)start, (unsigned long long)l->memsz,
				    (unsigned long long)limit);
		if (start + l->memsz > brk)
			brk = start + l->memsz;
	}
	im->brk = page_up(k, brk);
	/* Addresses are in user space now: page arithmetic cannot overflow. */
	for (int i = 1; i < im->nload; i++) {
		const struct load *a = &im->load[i - 1], *b = &im->load[i];
		if (page_down(k, b->vaddr + im->bias) < page_up(k, a->vaddr + im->bias + a->memsz))
			return fail(err, errlen, -EINVAL, "%s: segments %d and %d share a %s page (at 0x%llx)", name, a->index,
				    b->index, page_name(k->page), (unsigned long long)page_down(k, b->vaddr + im->bias));
	}
	im->entry = eh->e_entry + im->bias;
	bool entry_ok = false;
	for (int i = 0; i < im->nload; i++)
		entry_ok |= im->entry >= im->load[i].vaddr + im->bias &&
			    im->entry - (im->load[i].vaddr + im->bias) < im->load[i].memsz;
	if (!entry_ok)
		return fail(err, errlen, -ENOEXEC, "%s: entry point 0x%llx is not inside any loadable segment", name,
			    (unsigned long long)eh->e_entry);
	/* AT_PHDR: as Linux 6.1, the address of the segment holding the
	 * program headers; else PT_PHDR; else the first segment's base plus
	 * e_phoff. */
	uint64_t phsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	bool found = false;
	for (int i = 0; i < im->nload && !found; i++) {
		const struct load *l = &im->load[i];
		if (l->offset <= eh->e_phoff && eh->e_phoff - l->offset < l->filesz &&
		    phsize <= l->filesz - (eh->e_phoff - l->offset)) {
			im->phdr = eh->e_phoff - l->offset + l->vaddr + im->bias;
			found = true;
		}
	}
	if (!found && im->have_phdr_seg)
		im->phdr = im->phdr_seg_vaddr + im->bias;
	else if (!found)
		im->phdr = im->load[0].vaddr - im->load[0].offset + eh->e_phoff + im->bias;
	return 0;
}

/* ---- the initial stack ------------------------------------------------------- */
struct strings {
	int argc, envc;
	uint64_t bytes;            /* all strings with their NULs, the filename included */
};

/* bprm_stack_limits and copy_strings' checks. */
static int check_strings(const struct proc *p, int argc, char *const argv[], char *const envp[], const char *execfn,
			 struct strings *s, const char *name, char *err, size_t errlen)
{
	uint64_t max_str = MAX_ARG_PAGES * p->k->page;
	s->argc = argc;
	s->envc = 0;
	s->bytes = strlen(execfn) + 1;
	if (s->bytes > max_str)
		return fail(err, errlen, -ENAMETOOLONG, "%s: the program's path is too long", name);
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			return fail(err, errlen, -EINVAL, "%s: argv[%d] is NULL", name, i);
		uint64_t n = strlen(argv[i]) + 1;
		if (n > max_str)
			return fail(err, errlen, -E2BIG, "%s: argument %d is longer than %llu bytes", name, i,
				    (unsigned long long)max_str);
		s->bytes += n;
	}
	for (; envp && envp[s->envc]; s->envc++) {
		uint64_t n = strlen(envp[s->envc]) + 1;
		if (n > max_str)
			return fail(err, errlen, -E2BIG, "%s: environment string %d is longer than %llu bytes", name, s->envc,
				    (unsigned long long)max_str);
		s->bytes += n;
	}
	uint64_t limit = STK_LIM / 4 * 3;
	if (proc_stack_limit(p) / 4 < limit)
		limit = proc_stack_limit(p) / 4;
	if (limit < ARG_MAX_BYTES)
		limit = ARG_MAX_BYTES;
	uint64_t ptrs = ((uint64_t)s->argc + (uint64_t)s->envc) * 8;
	if (limit <= ptrs || s->bytes > limit - ptrs)
		return fail(err, errlen, -E2BIG, "%s: argument list too long (%llu bytes of strings, limit %llu)", name,
			    (unsigned long long)s->bytes, (unsigned long long)(limit > ptrs ? limit - ptrs : 0));
	return 0;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void put64(uint8_t *img, uint64_t base, uint64_t va, uint64_t v) { memcpy(img + (va - base), &v, 8); }

/* Build [sp, stack_top) in host memory as create_elf_tables lays it out,
 * then write it with copy_to_user, the highest page first (the order in
 * which Linux's copy_strings touches them). */
static int build_stack(struct kernel *k, const struct image *im, uint64_t top, int argc, char *const argv[],
		       char *const envp[], const char *execfn, const struct strings *s, uint64_t *sp_out)
{
	const char *platform = k->fmt->arch == ARCH_X86_64 ? "x86_64" : "aarch64";
	int envc = s->envc;
	/* copy_strings: bprm->p starts a pointer below the top; the filename,
	 * then the environment, then the arguments, each list from its last
	 * string down, so the strings lie in order in memory. */
	uint64_t pos = top - 8;
	uint64_t execfn_va = pos -= strlen(execfn) + 1;
	pos -= s->bytes - (strlen(execfn) + 1);
	uint64_t strings = pos;
	/* create_elf_tables */
	uint64_t p = pos & ~15ull;                     /* arch_align_stack */
	uint64_t plen = strlen(platform) + 1;
	uint64_t platform_va = p -= plen;
	uint64_t random_va = p -= 16;
	uint64_t aux[AUX_MAX * 2];
	int na = 0;
#define AUX(t, v) (aux[na++] = (t), aux[na++] = (v))
	AUX(AT_MINSIGSTKSZ, sigframe_min_stack(k->fmt->arch));
	AUX(AT_HWCAP, 0);
	AUX(AT_PAGESZ, k->page);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, im->phdr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, im->eh.e_phnum);
	AUX(AT_BASE, im->interp_base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, im->entry);
	AUX(AT_UID, OS_GUEST_UID);
	AUX(AT_EUID, OS_GUEST_UID);
	AUX(AT_GID, OS_GUEST_GID);
	AUX(AT_EGID, OS_GUEST_GID);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_va);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, execfn_va);
	AUX(AT_PLATFORM, platform_va);
	AUX(AT_NULL, 0);
#undef AUX
	uint64_t items = (uint64_t)argc + 1 + (uint64_t)envc + 1 + 1;
	uint64_t sp = (p - (uint64_t)na * 8 - items * 8) & ~15ull;   /* STACK_ROUND */
	uint64_t len = top - sp;
	uint8_t *img = calloc(1, len);
	if (!img)
		return -ENOMEM;
	uint64_t at = strings, q = sp;
	put64(img, sp, q, (uint64_t)argc);
	q += 8;
	for (int i = 0; i < argc; i++, q += 8) {
		uint64_t n = strlen(argv[i]) + 1;
		memcpy(img + (at - sp), argv[i], n);
		put64(img, sp, q, at);
		at += n;
	}
	q += 8;   /* NULL */
	k->mm_current->arg_start = strings;   /* /proc/PID/cmdline and environ read them */
	k->mm_current->arg_end = k->mm_current->env_start = at;
	for (int i = 0; i < envc; i++, q += 8) {
		uint64_t n = strlen(envp[i]) + 1;
		memcpy(img + (at - sp), envp[i], n);
		put64(img, sp, q, at);
		at += n;
	}
	q += 8;   /* NULL */
	k->mm_current->env_end = at;
	memcpy(img + (q - sp), aux, (size_t)na * 8);
	memcpy(img + (execfn_va - sp), execfn, strlen(execfn) + 1);
	memcpy(img + (platform_va - sp), platform, plen);
	uint64_t seed = RANDOM_SEED;
	for (int i = 0; i < 2; i++) {
		uint64_t r = splitmix64(&seed);
		memcpy(img + (random_va - sp) + 8 * i, &r, 8);
	}
	int rc = 0;
	for (uint64_t end = top; end > sp && !rc;) {
		uint64_t start = page_down(k, end - 1) > sp ? page_down(k, end - 1) : sp;
		rc = os_copy_to_user(k, start, img + (start - sp), end - start);
		end = start;
	}
	free(img);
	*sp_out = sp;
	return rc;
}

/* ---- exec --------------------------------------------------------------------- */
static uint8_t zeros[65536];

/* Past the point of no return: the process dies, as Linux makes it. */
static int fatal(struct proc *p, int fd, int rc, char *err, size_t errlen, const char *name, const char *what)
{
	os_close(p, fd);
	proc_kill(p, SIGSEGV);
	return fail(err, errlen, rc, "%s: %s after the old address space was dropped (%s): the process is killed", name,
		    what, rc == -ENOMEM ? "out of memory" : "error");
}

static int map_segments(struct proc *p, int fd, const struct image *im, bool first_mapped, const char *name,
			char *err, size_t errlen)
{
	struct kernel *k = p->k;
	for (int i = 0; i < im->nload; i++) {
		const struct load *l = &im->load[i];
		uint64_t start = l->vaddr + im->bias, pstart = page_down(k, start);
		uint64_t fend = l->filesz ? page_up(k, start + l->filesz) : pstart;
		uint64_t pend = page_up(k, start + l->memsz);
		if (fend > pstart && !(i == 0 && first_mapped)) {   /* elf_map */
			int64_t r = os_mmap(p, pstart, fend - pstart, l->prot, MAPF_PRIVATE | MAPF_FIXED, fd,
					    page_down(k, l->offset));
			if (r != (int64_t)pstart)
				return fatal(p, fd, r < 0 ? (int)r : -ENOMEM, err, errlen, name, "mapping a segment failed");
		}
		if (l->memsz == l->filesz)
			continue;
		/* padzero: the rest of the last file page reads as zeros. A
		 * segment that is not writable keeps the file's bytes there (its
		 * error is ignored, as since Linux 6.7). */
		uint64_t fileend = start + l->filesz;
		if (l->filesz && (fileend & (k->page - 1))) {
			int r = os_copy_to_user(k, fileend, zeros, fend - fileend);
			if (r && (l->prot & VM_WRITE))
				return fatal(p, fd, r, err, errlen, name, "clearing the end of a segment failed");
		}
		/* The bss: anonymous memory, as vm_brk_flags maps it, charged
		 * to the commit (VM_ACCOUNT): more than RAM and swap is ENOMEM,
		 * past the point of no return, so the exec kills the process. */
		if (pend > fend) {
			if (!mm_enough_memory(k, (pend - fend) >> k->fmt->page_shift))
				return fatal(p, fd, -ENOMEM, err, errlen, name, "mapping the bss failed");
			uint32_t prot = VM_READ | VM_WRITE | (l->prot & VM_EXEC);
			int64_t r = os_mmap(p, fend, pend - fend, prot, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0);
			if (r != (int64_t)fend)
				return fatal(p, fd, r < 0 ? (int)r : -ENOMEM, err, errlen, name, "mapping the bss failed");
		}
	}
	return 0;
}

/* The interpreter (ld.so), opened in the guest's namespace (its root,
 * then the sysroot) and checked before the point of no return, as
 * load_elf_binary does. A missing one is the open's error (ENOENT). */
static int open_interp(struct proc *p, struct image *iim, const char *interp, const char *name, int *fd_out,
		       char *err, size_t errlen)
{
	int hfd = sandbox_open_exec(p->k, interp);
	if (hfd < 0)
		return fail(err, errlen, hfd, "%s: interpreter %s: %s", name, interp, strerror(-hfd));
	char host[64];
	snprintf(host, sizeof host, "/proc/self/fd/%d", hfd);
	int fd = os_open_host(p, host, interp);
	close(hfd);
	if (fd < 0)
		return fail(err, errlen, fd == -EISDIR ? -EACCES : fd, "%s: interpreter %s: %s", name, interp,
			    strerror(fd == -EISDIR ? EACCES : -fd));
	iim->is_interp = true;
	int rc = parse(p, fd, interp, iim, err, errlen);
	if (rc) {
		os_close(p, fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

/* load_elf_interp: an ET_DYN interpreter goes where mmap puts the whole
 * of it (top-down below mmap_base, no randomization): its first segment
 * is mapped with the total size, the excess unmapped, the rest fixed. */
static int map_interp(struct proc *p, int fd, struct image *iim, const char *name, char *err, size_t errlen)
{
	struct kernel *k = p->k;
	const struct load *first = &iim->load[0], *last = &iim->load[iim->nload - 1];
	uint64_t lo = page_down(k, first->vaddr), total = page_up(k, last->vaddr + last->memsz) - lo;
	bool fixed = iim->eh.e_type == ET_EXEC;
	uint64_t fsize = first->filesz ? page_up(k, first->vaddr + first->filesz) - lo : 0;
	if (fsize) {
		int64_t r = os_mmap(p, fixed ? lo : 0, total, first->prot, MAPF_PRIVATE | (fixed ? MAPF_FIXED : 0), fd,
				    page_down(k, first->offset));
		if (r < 0 || (fixed && (uint64_t)r != lo))
			return fatal(p, fd, r < 0 ? (int)r : -ENOMEM, err, errlen, name, "mapping the interpreter failed");
		if (!fixed)
			iim->bias = (uint64_t)r - lo;
		if (total > fsize && os_munmap(p, (uint64_t)r + fsize, total - fsize))
			return fatal(p, fd, -ENOMEM, err, errlen, name, "mapping the interpreter failed");
	} else if (!fixed) {
		return fatal(p, fd, -ENOEXEC, err, errlen, name, "an interpreter whose first segment is empty");
	}
	iim->entry = iim->eh.e_entry + iim->bias;
	return map_segments(p, fd, iim, fsize != 0, name, err, errlen);
}

int os_exec_elf(struct proc *p, const char *host_path, int argc, char *const argv[], char *const envp[],
		const char *execfn, struct exec_image *out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p || !host_path)
		return fail(err, errlen, -EINVAL, "exec: no program given");
	const char *name = host_path;
	struct kernel *k = p->k;
	if (!p->alive)
		return fail(err, errlen, -ESRCH, "%s: the process has exited", name);
	if (argc < 0 || (argc > 0 && !argv))
		return fail(err, errlen, -EINVAL, "%s: bad argument vector", name);
	static char *const empty_argv[] = {"", NULL};
	if (argc == 0) {   /* since Linux 5.18 an empty argv becomes { "" } */
		argc = 1;
		argv = empty_argv;
	}
	if (!execfn)
		execfn = host_path;
	if (k->svc->current != p)
		kernel_switch(k, p);   /* exec runs in the process that calls it */
	int fd = os_open_host(p, host_path, execfn);
	if (fd < 0) {
		if (fd == -EISDIR)
			return fail(err, errlen, -EACCES, "%s: is a directory, not an executable", name);
		if (fd == -EACCES)
			return fail(err, errlen, -EACCES, "%s: not a regular file (or permission denied)", name);
		return fail(err, errlen, fd, "%s: cannot open: %s", name, strerror(-fd));
	}
	struct image *im = calloc(1, sizeof *im);
	if (!im) {
		os_close(p, fd);
		return fail(err, errlen, -ENOMEM, "%s: out of host memory", name);
	}
	struct strings s = {0};
	struct image *iim = NULL;
	int ifd = -1;
	int rc = parse(p, fd, name, im, err, errlen);
	if (!rc)
		rc = check_strings(p, argc, argv, envp, execfn, &s, name, err, errlen);
	if (!rc && im->has_interp) {
		if (!(iim = calloc(1, sizeof *iim)))
			rc = fail(err, errlen, -ENOMEM, "%s: out of host memory", name);
		else
			rc = open_interp(p, iim, im->interp, name, &ifd, err, errlen);
	}
	uint64_t top = stack_top_for(k);
	if (!rc && (rc = proc_exec(p, top, im->brk)))
		fail(err, errlen, rc, "%s: cannot set up the address space (stack top 0x%llx, RLIMIT_STACK %llu)", name,
		     (unsigned long long)top, (unsigned long long)proc_stack_limit(p));
	if (rc) {
		if (ifd >= 0)
			os_close(p, ifd);
		os_close(p, fd);
		free(iim);
		free(im);
		return rc;
	}
	/* The point of no return is behind us. */
	if ((rc = map_segments(p, fd, im, false, name, err, errlen))) {
		free(iim);
		free(im);
		return rc;
	}
	if (iim) {
		rc = map_interp(p, ifd, iim, im->interp, err, errlen);
		if (rc) {
			free(iim);
			free(im);
			return rc;
		}
		os_close(p, ifd);
		im->interp_base = iim->bias + page_down(k, iim->load[0].vaddr);
		im->interp_entry = iim->entry;
		free(iim);
	}
	if (im->exec_stack) {   /* PT_GNU_STACK with PF_X: setup_arg_pages' EXSTACK_ENABLE_X */
		struct vma *v = vma_find(&p->mm, top - 1);
		if (v && v->start < top && os_mprotect(p, v->start, top - v->start, VM_READ | VM_WRITE | VM_EXEC)) {
			free(im);
			return fatal(p, fd, -ENOMEM, err, errlen, name, "making the stack executable failed");
		}
	}
	uint64_t sp = 0;
	if ((rc = build_stack(k, im, top, argc, argv, envp, execfn, &s, &sp))) {
		free(im);
		return fatal(p, fd, rc, err, errlen, name, "writing the initial stack failed");
	}
	os_close(p, fd);
	if (out)
		*out = (struct exec_image){
			.entry = im->has_interp ? im->interp_entry : im->entry, .sp = sp, .phdr = im->phdr,
			.brk_start = im->brk, .load_bias = im->bias, .interp_base = im->interp_base};
	free(im);
	return 0;
}
