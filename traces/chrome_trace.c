/* The Chrome Trace Event Format (JSON), which Perfetto and chrome://tracing
 * open: one track per simulated process holding its lifetime, its system
 * calls and its faults as nested slices, with the fault's details as args;
 * and a "CPU" track of which process ran when. Time is simulated: the MMU's
 * cycle count when an event happened, in microseconds at the preset's
 * clock (1 GHz when the preset names none). docs/chrome-trace.md.
 *
 * Each event is written as it is complete (built with cJSON), so memory
 * stays the same however long the run: not in time order (a system call
 * is told of when it returns, after its faults; a process's lifetime at
 * the end), which the format allows and both viewers sort out. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/outfile.h"
#include "traces/traces.h"

struct track {           /* one process */
	int pid, parent, code;
	bool exited;
	double start, end;   /* its lifetime; end grows to cover its last slice */
	char name[160];
};

struct chrome_trace {
	struct outfile *out;
	struct kernel *k;
	double cycles_per_us;
	bool failed;          /* out of memory: reported by finish */
	uint64_t nevents;     /* written so far */
	struct track *tracks;
	size_t ntracks;
	int running[MMU_MAX_CPUS];      /* the pid on each CPU's track, 0 for none */
	double running_since[MMU_MAX_CPUS];
	unsigned ncpus;
	char info[4][256];    /* preset, personality, source, input */
	double clock_ghz;
};

static double now_us(const struct chrome_trace *t)
{
	return (double)mmu_total_cycles(kernel_mmu(t->k)) / t->cycles_per_us;
}

static struct track *track_of(struct chrome_trace *t, int pid)
{
	for (size_t i = 0; i < t->ntracks; i++)
		if (t->tracks[i].pid == pid)
			return &t->tracks[i];
	struct track *n = realloc(t->tracks, (t->ntracks + 1) * sizeof *n);
	if (!n) {
		t->failed = true;
		return NULL;
	}
	t->tracks = n;
	struct track *tr = &t->tracks[t->ntracks++];
	*tr = (struct track){.pid = pid, .start = now_us(t), .end = now_us(t)};
	snprintf(tr->name, sizeof tr->name, "pid %d", pid);
	return tr;
}

/* Writes one event (takes ev). */
static void keep(struct chrome_trace *t, cJSON *ev)
{
	char *json = ev ? cJSON_PrintUnformatted(ev) : NULL;
	cJSON_Delete(ev);
	if (!json) {
		t->failed = true;
		return;
	}
	outfile_printf(t->out, "%s%s", t->nevents++ ? ",\n" : "", json);
	free(json);
}

/* {"name","cat","ph","pid","tid","ts"[,"dur"],"args"}: args is taken. */
static void event(struct chrome_trace *t, const char *name, const char *cat, const char *ph, int pid, double ts,
		  double dur, cJSON *args)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "name", name);
	cJSON_AddStringToObject(ev, "cat", cat);
	cJSON_AddStringToObject(ev, "ph", ph);
	cJSON_AddNumberToObject(ev, "pid", pid);
	cJSON_AddNumberToObject(ev, "tid", pid);
	cJSON_AddNumberToObject(ev, "ts", ts);
	if (!strcmp(ph, "X"))
		cJSON_AddNumberToObject(ev, "dur", dur);
	else if (!strcmp(ph, "i"))
		cJSON_AddStringToObject(ev, "s", "t");   /* an instant on its thread's track */
	if (args)
		cJSON_AddItemToObject(ev, "args", args);
	keep(t, ev);
	struct track *tr = pid ? track_of(t, pid) : NULL;
	if (tr && ts + dur > tr->end)
		tr->end = ts + dur;
}

static void add_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "0x%" PRIx64, v);
	cJSON_AddStringToObject(o, key, buf);
}

/* The steps or the call chain, as "a > b > c". */
static void add_joined(cJSON *o, const char *key, const char *const *names, int n)
{
	char buf[1024] = "";
	size_t len = 0;
	for (int i = 0; i < n && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " > " : "", names[i]);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *fault_vma(const struct fault_record *r)
{
	char buf[300];
	const struct vma *v = &r->vma;
	int n = snprintf(buf, sizeof buf, "0x%" PRIx64 "-0x%" PRIx64 " %c%c%c %s", v->start, v->end,
			 v->flags & VM_READ ? 'r' : '-', v->flags & VM_WRITE ? 'w' : '-', v->flags & VM_EXEC ? 'x' : '-',
			 v->flags & VM_SHARED ? "shared" : "private");
	if (v->file && n > 0 && (size_t)n < sizeof buf)
		snprintf(buf + n, sizeof buf - (size_t)n, " %s +0x%" PRIx64, inode_name(v->file), v->offset);
	return cJSON_CreateString(buf);
}

static cJSON *fault_args(const struct kernel *k, const struct fault_record *r)
{
	const struct pt_format *fmt = kernel_format(k);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "n", (double)r->seq);
	add_hex(a, "va", r->va);
	cJSON_AddStringToObject(a, "access", mmu_access_name(r->access));
	cJSON_AddStringToObject(a, "kind", mmu_fault_kind_name(r->hw.kind));
	cJSON_AddNumberToObject(a, "level", r->hw.level);
	char syn[256];
	mmu_syndrome_describe(fmt->arch, &r->hw.syn, syn, sizeof syn);
	cJSON_AddStringToObject(a, "syndrome", syn);
	if (fmt->arch == ARCH_X86_64) {
		add_hex(a, "error_code", r->hw.syn.code);
		if (r->hw.syn.addr_valid)
			add_hex(a, "cr2", r->hw.syn.addr);
	} else {
		add_hex(a, "esr", r->hw.syn.code);
		add_hex(a, "far", r->hw.syn.addr);
	}
	if (r->pc) {
		add_hex(a, "pc", r->pc);
		cJSON_AddStringToObject(a, "insn", r->insn);
	}
	cJSON_AddItemToObject(a, "vma", r->have_vma ? fault_vma(r) : cJSON_CreateNull());
	const char *steps[FAULT_MAX_STEPS];
	for (int i = 0; i < r->nsteps; i++)
		steps[i] = fault_step_name((enum fault_step)r->steps[i]);
	add_joined(a, "path", steps, r->nsteps);
	add_joined(a, personality_name(kernel_personality(k)), r->chain, r->nchain);
	cJSON *ptes = cJSON_AddArrayToObject(a, "ptes");
	for (int i = 0; i < r->npte; i++) {
		const struct pte_change *c = &r->pte[i];
		char buf[160];
		snprintf(buf, sizeof buf, "%s[%u] @0x%" PRIx64 ": 0x%016" PRIx64 " -> 0x%016" PRIx64,
			 pt_level_info(fmt, c->level)->name, c->index, c->table_pa + (uint64_t)8 * c->index, c->old, c->new);
		cJSON_AddItemToArray(ptes, cJSON_CreateString(buf));
	}
	cJSON_AddNumberToObject(a, "tables", r->tables_allocated);
	cJSON_AddNumberToObject(a, "frames", r->frames_allocated);
	cJSON_AddNumberToObject(a, "copied", r->frames_copied);
	cJSON_AddBoolToObject(a, "major", r->major);
	cJSON_AddNumberToObject(a, "cycles", (double)r->cycles);
	cJSON_AddStringToObject(a, "outcome", fault_outcome_name(r->outcome));
	if (r->outcome != OUT_RESOLVED) {
		cJSON_AddNumberToObject(a, "signal", r->signo);
		cJSON_AddNumberToObject(a, "si_code", r->si_code);
	}
	return a;
}

/* A fault's slice ends now: the handler's cycles were charged before the
 * kernel told of it. Named after the step that resolved it. */
static void on_fault(struct chrome_trace *t, const struct fault_record *r)
{
	double end = now_us(t), dur = (double)r->cycles / t->cycles_per_us;
	char name[64];
	const char *last = r->nsteps ? fault_step_name((enum fault_step)r->steps[r->nsteps - 1]) : "";
	if (r->outcome == OUT_RESOLVED)
		snprintf(name, sizeof name, "%s fault: %s", r->major ? "major" : "minor", last);
	else
		snprintf(name, sizeof name, "fault: %s", fault_outcome_name(r->outcome));
	event(t, name, "fault", "X", r->pid, end - dur, dur, fault_args(t->k, r));
}

/* An event on CPU `cpu`'s track: the "CPU" process, a thread per CPU. */
static void cpu_event(struct chrome_trace *t, const char *name, const char *ph, unsigned cpu, double ts, double dur,
		      cJSON *args)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "name", name);
	cJSON_AddStringToObject(ev, "cat", "cpu");
	cJSON_AddStringToObject(ev, "ph", ph);
	cJSON_AddNumberToObject(ev, "pid", 0);
	cJSON_AddNumberToObject(ev, "tid", cpu);
	cJSON_AddNumberToObject(ev, "ts", ts);
	if (!strcmp(ph, "X"))
		cJSON_AddNumberToObject(ev, "dur", dur);
	else
		cJSON_AddStringToObject(ev, "s", "t");
	if (args)
		cJSON_AddItemToObject(ev, "args", args);
	keep(t, ev);
}

static void cpu_switch(struct chrome_trace *t, unsigned cpu, int pid)
{
	double now = now_us(t);
	if (t->running[cpu] && now > t->running_since[cpu]) {
		char name[32];
		snprintf(name, sizeof name, "pid %d", t->running[cpu]);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "pid", t->running[cpu]);
		cpu_event(t, name, "X", cpu, t->running_since[cpu], now - t->running_since[cpu], a);
	}
	t->running[cpu] = pid;
	t->running_since[cpu] = now;
}

static void add_cpus(cJSON *o, const char *key, uint64_t mask)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);
	for (unsigned c = 0; c < 64; c++)
		if (mask & (1ull << c))
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(c));
}

/* A shootdown: the initiator's slice on its CPU's track, and the flush it
 * made each target do on theirs. */
static void on_shootdown(struct chrome_trace *t, const struct shootdown *sd)
{
	double now = now_us(t), dur = (double)sd->cycles / t->cycles_per_us;
	char name[48];
	snprintf(name, sizeof name, "shootdown (%s)", shootdown_method_name(sd->method));
	cJSON *a = cJSON_CreateObject();
	add_cpus(a, "targets", sd->targets);
	add_cpus(a, "lazy", sd->lazy);
	add_hex(a, "start", sd->start);
	add_hex(a, "end", sd->end);
	cJSON_AddNumberToObject(a, "pages", sd->pages);
	cJSON_AddNumberToObject(a, "cycles", (double)sd->cycles);
	cpu_event(t, name, "X", sd->initiator, now - dur, dur, a);
	for (unsigned c = 0; c < t->ncpus; c++)
		if (sd->targets & (1ull << c)) {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddNumberToObject(b, "initiator", sd->initiator);
			cJSON_AddNumberToObject(b, "cycles", (double)sd->target_cycles);
			cpu_event(t, "TLB flush (shootdown)", sd->target_cycles ? "X" : "i", c, now - dur,
				  (double)sd->target_cycles / t->cycles_per_us, b);
		}
}

/* A track is named after the last program its process ran. */
static void name_track(struct track *tr, const struct proc *p)
{
	const char *exe = p ? proc_exe(p) : NULL;
	if (exe) {
		const char *base = strrchr(exe, '/');
		snprintf(tr->name, sizeof tr->name, "pid %d %s", tr->pid, base ? base + 1 : exe);
	}
}

static void on_proc(struct chrome_trace *t, const struct os_event *ev)
{
	struct track *tr = track_of(t, ev->pid);
	if (!tr)
		return;
	if (ev->kind == EV_PROC_CREATE) {
		tr->parent = ev->u.proc.parent;
	} else if (ev->kind == EV_PROC_EXIT) {
		tr->exited = true;
		tr->code = ev->u.proc.code;
		name_track(tr, proc_find(t->k, ev->pid));   /* now: once reaped, the process is freed */
		if (now_us(t) > tr->end)
			tr->end = now_us(t);
	} else if (ev->kind == EV_EXEC) {
		/* The program's name is known only once the exec is done: the
		 * track is named at the end, the execve slice says which. */
		event(t, "exec", "process", "i", ev->pid, now_us(t), 0, NULL);
	} else if (ev->kind == EV_SWITCH && ev->pid != t->running[ev->cpu]) {
		cpu_switch(t, ev->cpu, ev->pid);
	}
}

static void on_as(struct chrome_trace *t, const struct os_event *ev)
{
	cJSON *a = cJSON_CreateObject();
	add_hex(a, "addr", ev->u.as.addr);
	add_hex(a, "len", ev->u.as.len);
	cJSON_AddNumberToObject(a, "prot", ev->u.as.prot);
	cJSON_AddNumberToObject(a, "flags", ev->u.as.flags);
	if (ev->u.as.result < 0)
		cJSON_AddNumberToObject(a, "result", (double)ev->u.as.result);
	else
		add_hex(a, "result", (uint64_t)ev->u.as.result);
	event(t, os_event_name(ev->kind), "mm", "i", ev->pid, now_us(t), 0, a);
}

static void chrome_event(void *ctx, const struct os_event *ev)
{
	struct chrome_trace *t = ctx;
	switch (ev->kind) {
	case EV_FAULT:
		on_fault(t, ev->u.fault);
		break;
	case EV_PROC_CREATE:
	case EV_PROC_EXIT:
	case EV_EXEC:
	case EV_SWITCH:
		on_proc(t, ev);
		break;
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MPROTECT:
	case EV_BRK:
	case EV_MSYNC:
	case EV_MADVISE:
		on_as(t, ev);
		break;
	case EV_SHOOTDOWN:
		on_shootdown(t, ev->u.shootdown);
		break;
	default:   /* entries, frames and TLB fills: the event log's business */
		break;
	}
}

static void chrome_syscall(void *ctx, int pid, uint64_t nr, const uint64_t args[6], const struct sys_result *r,
			   uint64_t start_cycles)
{
	struct chrome_trace *t = ctx;
	char buf[64];
	const char *name = os_syscall_name(t->k, nr, buf, sizeof buf);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "nr", (double)nr);
	cJSON *av = cJSON_AddArrayToObject(a, "args");
	for (int i = 0; i < 6; i++) {
		char h[24];
		snprintf(h, sizeof h, "0x%" PRIx64, args[i]);
		cJSON_AddItemToArray(av, cJSON_CreateString(h));
	}
	cJSON_AddNumberToObject(a, "ret", (double)r->ret);
	if (r->action == SYSA_BLOCK)
		cJSON_AddBoolToObject(a, "blocked", true);   /* made again when it can go on */
	struct proc *p = r->action == SYSA_EXEC ? proc_find(t->k, pid) : NULL;
	if (p && proc_exe(p))
		cJSON_AddStringToObject(a, "program", proc_exe(p));
	double start = (double)start_cycles / t->cycles_per_us;
	event(t, name, "syscall", "X", pid, start, now_us(t) - start, a);
}

struct chrome_trace *chrome_trace_create(const char *path, struct kernel *k, const struct eventlog_info *info,
					 double clock_ghz, char *err, size_t errlen)
{
	struct chrome_trace *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(t->out = outfile_open(path, err, errlen))) {
		free(t);
		return NULL;
	}
	outfile_printf(t->out, "{\"traceEvents\":[\n");
	t->k = k;
	t->ncpus = mmu_cpus(kernel_mmu(k));
	t->clock_ghz = clock_ghz;
	t->cycles_per_us = (clock_ghz > 0 ? clock_ghz : 1.0) * 1000.0;
	const char *fields[4] = {info->preset, info->personality, info->source, info->input};
	for (int i = 0; i < 4; i++)
		snprintf(t->info[i], sizeof t->info[i], "%s", fields[i] ? fields[i] : "");
	struct proc *cur = kernel_current(k);
	if (cur) {   /* pid 1 exists before anyone listens */
		track_of(t, proc_pid(cur));
		cpu_switch(t, mmu_cpu(kernel_mmu(k)), proc_pid(cur));
	}
	kernel_subscribe(k, chrome_event, t);
	kernel_set_syscall_hook(k, chrome_syscall, t);
	return t;
}

static void metadata(struct chrome_trace *t, const char *what, int pid, const char *name, int sort)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "name", what);
	cJSON_AddStringToObject(ev, "ph", "M");
	cJSON_AddNumberToObject(ev, "pid", pid);
	cJSON_AddNumberToObject(ev, "tid", pid);
	cJSON *a = cJSON_AddObjectToObject(ev, "args");
	if (name)
		cJSON_AddStringToObject(a, "name", name);
	else
		cJSON_AddNumberToObject(a, "sort_index", sort);
	keep(t, ev);
}

static void cpu_thread_name(struct chrome_trace *t, unsigned cpu, const char *name)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "name", "thread_name");
	cJSON_AddStringToObject(ev, "ph", "M");
	cJSON_AddNumberToObject(ev, "pid", 0);
	cJSON_AddNumberToObject(ev, "tid", cpu);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "args"), "name", name);
	keep(t, ev);
}

/* Each process's name and lifetime slice, which ends when it exited or with
 * its last slice, whichever is later (its exit_group returns after it has
 * gone); one alive at the end runs to the end. */
static void close_tracks(struct chrome_trace *t)
{
	for (unsigned c = 0; c < t->ncpus; c++)
		cpu_switch(t, c, 0);
	metadata(t, "process_name", 0, t->ncpus > 1 ? "CPUs" : "CPU", 0);
	metadata(t, "process_sort_index", 0, NULL, 0);
	for (unsigned c = 0; t->ncpus > 1 && c < t->ncpus; c++) {
		char name[16];
		snprintf(name, sizeof name, "CPU %u", c);
		cpu_thread_name(t, c, name);
	}
	double end = now_us(t);
	size_t n = t->ntracks;   /* event() below may not add tracks */
	for (size_t i = 0; i < n; i++) {
		struct track tr = t->tracks[i];
		if (!tr.exited)
			name_track(&tr, proc_find(t->k, tr.pid));
		metadata(t, "process_name", tr.pid, tr.name, 0);
		metadata(t, "thread_name", tr.pid, "faults and system calls", 0);
		metadata(t, "process_sort_index", tr.pid, NULL, tr.pid);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "parent", tr.parent);
		if (tr.exited)
			cJSON_AddNumberToObject(a, "exit_status", tr.code);
		else
			cJSON_AddBoolToObject(a, "alive_at_end", true);
		double stop = tr.exited ? tr.end : end;
		event(t, tr.name, "process", "X", tr.pid, tr.start, stop - tr.start, a);
	}
}

static void write_trailer(struct chrome_trace *t)
{
	struct outfile *o = t->out;
	outfile_printf(o, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":");
	cJSON *other = cJSON_CreateObject();
	cJSON_AddStringToObject(other, "generator", "mmusim");
	cJSON_AddStringToObject(other, "preset", t->info[0]);
	cJSON_AddStringToObject(other, "personality", t->info[1]);
	cJSON_AddStringToObject(other, "source", t->info[2]);
	cJSON_AddStringToObject(other, "input", t->info[3]);
	cJSON_AddNumberToObject(other, "clock_ghz", t->clock_ghz > 0 ? t->clock_ghz : 1.0);
	cJSON_AddStringToObject(other, "clock", t->clock_ghz > 0 ? "the preset's clock_ghz" : "assumed: the preset names no clock");
	cJSON_AddNumberToObject(other, "cycles", (double)mmu_total_cycles(kernel_mmu(t->k)));
	char *s = cJSON_PrintUnformatted(other);
	cJSON_Delete(other);
	if (!s)
		t->failed = true;
	else
		outfile_printf(o, "%s}\n", s);
	free(s);
}

static void release(struct chrome_trace *t)
{
	kernel_set_syscall_hook(t->k, NULL, NULL);
	free(t->tracks);
	free(t);
}

int chrome_trace_finish(struct chrome_trace *t, char *err, size_t errlen)
{
	close_tracks(t);
	write_trailer(t);
	int rc;
	if (t->failed) {
		outfile_abort(t->out);
		snprintf(err, errlen, "out of memory writing the Chrome trace");
		rc = -1;
	} else {
		rc = outfile_commit(t->out, err, errlen);
	}
	release(t);
	return rc;
}

void chrome_trace_abort(struct chrome_trace *t)
{
	if (!t)
		return;
	outfile_abort(t->out);
	release(t);
}
