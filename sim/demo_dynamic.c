/* mmusim demo's dynamic step: a dynamically linked shell runs ls twice,
 * and the demo picks out of the run's event log the faults that tell how
 * such a program starts — the loader's first write, the interpreter's
 * first instruction, ld.so relocating libc (RELRO copied on write, then
 * made read-only), libc's text read into the page cache, and the same
 * text found there by the next program — each with a line saying why,
 * then every process's fault counts. Needs the host's own x86-64 programs
 * (/bin/sh, /bin/ls, dynamically linked); without them it says so in one
 * line and the demo goes on. */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gui/model.h"
#include "sim/commands.h"
#include "sim/demo.h"

#define DEMO_SHELL "/bin/sh"
#define DEMO_LS "/bin/ls"
#define DEMO_SCRIPT "ls -d /; ls -d /"

/* A dynamically linked x86-64 executable: ELF64, EM_X86_64, a PT_INTERP. */
static bool dynamic_x86_64(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	Elf64_Ehdr eh;
	bool ok = fread(&eh, sizeof eh, 1, f) == 1 && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		  eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_machine == EM_X86_64 && eh.e_phentsize == sizeof(Elf64_Phdr);
	bool interp = false;
	for (unsigned i = 0; ok && i < eh.e_phnum && i < 64 && !interp; i++) {
		Elf64_Phdr ph;
		ok = !fseek(f, (long)(eh.e_phoff + i * sizeof ph), SEEK_SET) && fread(&ph, sizeof ph, 1, f) == 1;
		interp = ok && ph.p_type == PT_INTERP;
	}
	fclose(f);
	return ok && interp;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path ? path : "";
}

static bool in_file(const struct gfault *f, const char *prefix)
{
	return f->vma_file && !strncmp(base_name(f->vma_file), prefix, strlen(prefix));
}

/* The first fault of pid matching access (NULL: any), file prefix (NULL:
 * any) and a step of its path (NULL: any), from fault index `from`. */
static const struct gfault *find_fault(const struct evlog *l, size_t from, int pid, const char *access,
				       const char *file, const char *step)
{
	for (size_t i = from; i < l->nfaults; i++) {
		const struct gfault *f = &l->faults[i];
		if (f->pid == pid && (!access || !strcmp(f->access, access)) && (!file || in_file(f, file)) &&
		    (!step || (f->path && strstr(f->path, step))))
			return f;
	}
	return NULL;
}

/* The path without the steps every fault takes. */
static const char *path_tail(const struct gfault *f)
{
	const char *p = f->path ? f->path : "";
	if (!strncmp(p, "entry > find_vma > ", 19))
		p += 19;
	return p;
}

static void show_fault(const struct evlog *l, const struct gfault *f, const char *why)
{
	uint64_t page = (uint64_t)1 << l->fmt->page_shift;
	fprintf(stderr, "\nfault #%d  pid %d  %s 0x%" PRIx64 "  %s, %" PRIu64 " cycles\n", f->n, f->pid, f->access, f->va,
		f->major ? "major" : "minor", f->cycles);
	if (f->vma_file)
		fprintf(stderr, "  page      %s +0x%" PRIx64 " (%s %s)\n", base_name(f->vma_file),
			f->vma_offset + ((f->va & ~(page - 1)) - f->vma_start), f->vma_prot, f->vma_flags);
	fprintf(stderr, "  path      %s", path_tail(f));
	if (f->around)
		fprintf(stderr, " (%d more pages mapped)", f->around);
	fprintf(stderr, "\n  why       %s\n", why);
}

/* The mprotect that makes the RELRO part holding va read-only, after
 * event `from`. */
static const struct gev *relro_mprotect(const struct evlog *l, size_t from, int pid, uint64_t va)
{
	for (size_t i = from; i < l->nev; i++) {
		const struct gev *e = &l->ev[i];
		if (e->kind == GEV_MPROTECT && e->pid == pid && e->prot == 1 && !e->result && va >= e->va && va - e->va < e->old)
			return e;
	}
	return NULL;
}

/* This fault's pagecache_share events (they come just before its record):
 * how many, and the mapping count of the faulting page's frame. */
static int shares_of(const struct evlog *l, const struct gfault *f, uint64_t *mapcount)
{
	int n = 0;
	uint64_t page_mask = ~(((uint64_t)1 << l->fmt->page_shift) - 1);
	for (size_t i = f->ev; i-- > 0 && l->ev[i].kind != GEV_FAULT;) {
		const struct gev *e = &l->ev[i];
		if (e->kind != GEV_PAGECACHE_SHARE)
			continue;
		n++;
		if ((e->va & page_mask) == (f->va & page_mask))
			*mapcount = e->val;
	}
	return n;
}

static void explain(const struct evlog *l)
{
	const struct gfault *f;
	char why[512];
	if ((f = find_fault(l, 0, 1, NULL, NULL, NULL)))
		show_fault(l, f, "before the first instruction: the kernel's ELF loader zeroes the rest of the last file "
				 "page of the data segment (padzero); a private file page, so copy on write (cow_fault), "
				 "read from the file first (pagecache_miss: major)");
	if ((f = find_fault(l, 0, 1, "fetch", NULL, NULL))) {
		snprintf(why, sizeof why, "the first instruction: the interpreter's entry point (%s, AT_BASE in the auxiliary "
			 "vector), not the program's; its text read into the page cache", base_name(f->vma_file));
		show_fault(l, f, why);
	}
	const struct gfault *relro = NULL;
	const struct gev *mp = NULL;
	for (size_t i = 0; !mp && (relro = find_fault(l, i, 1, "write", "libc.so", NULL)); i = (size_t)(relro - l->faults) + 1)
		mp = relro_mprotect(l, relro->ev, 1, relro->va);
	if (relro && mp) {
		snprintf(why, sizeof why, "ld.so relocates libc: it writes addresses into its RELRO part (the GOT, .data.rel.ro), a "
			 "private file page (%s), so the page is copied on write. Then mprotect(0x%" PRIx64 ", 0x%" PRIx64
			 ", PROT_READ) makes the RELRO part read-only: no later write can redirect a call",
			 strstr(path_tail(relro), "wp_copy") ? "mapped read-only by the read just before" : "not mapped yet",
			 mp->va, mp->old);
		show_fault(l, relro, why);
	}
	if ((f = find_fault(l, 0, 1, "fetch", "libc.so", NULL)))
		show_fault(l, f, "libc's first instruction: its text read from the file into the page cache "
				 "(a major fault, as every first touch of a library page so far)");
	const struct gfault *child = find_fault(l, 0, 2, "fetch", "libc.so", NULL);
	if (child) {
		uint64_t mapcount = 0;
		int shares = shares_of(l, child, &mapcount);
		int len = snprintf(why, sizeof why, "libc's text in ls (pid 2, forked by sh, then exec'd): the page is in "
				   "the page cache already, a minor fault, and fault-around maps its cached neighbours "
				   "too");
		if (shares)
			snprintf(why + len, sizeof why - (size_t)len, "; %d of these frames are mapped by sh as well "
				 "(pagecache_share in the event log%s%" PRIu64 " mappings)", shares,
				 mapcount ? ": this one now has " : "", mapcount);
		show_fault(l, child, why);
	}
}

/* Each process: its faults, how many were major, and its program (the
 * file of its first file-backed fault after its last exec). */
static void summarize(const struct evlog *l)
{
	fprintf(stderr, "\n");
	for (int pid = 1; pid < 16; pid++) {
		int n = 0, major = 0;
		const char *prog = NULL;
		bool named = false;
		for (size_t i = 0; i < l->nev; i++) {
			const struct gev *e = &l->ev[i];
			if (e->pid != pid)
				continue;
			if (e->kind == GEV_EXEC)
				named = false;
			if (e->kind != GEV_FAULT)
				continue;
			const struct gfault *f = &l->faults[e->index];
			n++;
			major += f->major;
			if (!named && f->vma_file) {
				prog = f->vma_file;
				named = true;
			}
		}
		if (n)
			fprintf(stderr, "pid %d (%s): %d faults, %d major%s\n", pid, base_name(prog), n, major,
				major ? "" : ": everything it needs is in the page cache already");
	}
	int shares = 0;
	for (size_t i = 0; i < l->nev; i++)
		shares += l->ev[i].kind == GEV_PAGECACHE_SHARE;
	fprintf(stderr, "%d times a process mapped a page-cache frame that another maps already (pagecache_share)\n",
		shares);
}

int demo_dynamic(void)
{
	if (!dynamic_x86_64(DEMO_SHELL) || !dynamic_x86_64(DEMO_LS)) {
		fprintf(stderr, "\n== no dynamically linked x86-64 %s and %s here: the dynamic step is skipped\n", DEMO_SHELL,
			DEMO_LS);
		return 0;
	}
	char log[] = "/tmp/mmusim-demo-XXXXXX";
	int fd = mkstemp(log);
	if (fd < 0) {
		perror("mmusim: demo: a temporary file");
		return 1;
	}
	close(fd);
	fflush(stdout);
	fprintf(stderr, "\n== mmusim run %s -c '%s'\n"
			"== (a dynamically linked shell runs ls twice: the kernel maps each program and its interpreter,\n"
			"== ld.so, which maps libc; the faults that tell how, picked from the run's event log)\n\n",
		DEMO_SHELL, DEMO_SCRIPT);
	char *argv[] = {"run", "--events", log, DEMO_SHELL, "-c", DEMO_SCRIPT, NULL};
	int rc = cmd_run(6, argv);
	fflush(stdout);
	struct evlog l;
	char err[512];
	evlog_init(&l, log);
	if (!rc && evlog_read_file(&l, log, err, sizeof err)) {
		fprintf(stderr, "mmusim: demo: %s\n", err);
		rc = 1;
	}
	if (!rc) {
		explain(&l);
		summarize(&l);
	}
	evlog_free(&l);
	unlink(log);
	return rc;
}
