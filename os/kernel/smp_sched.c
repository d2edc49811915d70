/* Several CPUs: which CPU a thread's turn runs on. The host runs one turn
 * at a time; the other CPUs are taken to go on running the thread they
 * last ran while it can run (so a shootdown interrupts them), and to idle
 * in lazy TLB mode once it sleeps or ends.
 *
 * The rule, deterministic: a thread stays on its CPU unless another
 * runnable thread holds that CPU and some CPU is idle; then it moves to the
 * idle CPU with the fewest cycles (migration). A thread new to the CPUs
 * takes the lowest-numbered idle one, or the least busy. Ties go to the
 * lowest number. */
#include "os/kernel/kernel.h"

#include <errno.h>

static bool can_run(const struct thread *t)
{
	return t && t->alive && t->p->alive && !t->futex_wait;
}

/* The thread each CPU ran last; kept here, not in struct kernel: only
 * the placement needs it. Indexed by CPU; NULL: none yet. */
static const struct thread *holder_of(struct kernel *k, unsigned cpu, const struct thread *exclude)
{
	for (size_t i = 0; i < k->svc->nthreads; i++) {
		const struct thread *t = k->svc->threads[i];
		if (t != exclude && t->placed && t->cpu == cpu && can_run(t))
			return t;
	}
	return NULL;
}

static unsigned idlest(struct kernel *k, bool want_idle, const struct thread *self, bool *found)
{
	unsigned best = 0, n = mmu_cpus(k->mmu);
	uint64_t best_cycles = UINT64_MAX;
	*found = false;
	for (unsigned c = 0; c < n; c++) {
		if (want_idle && holder_of(k, c, self))
			continue;
		uint64_t cy = mmu_cpu_cycles(k->mmu, c);
		if (cy < best_cycles) {
			best_cycles = cy;
			best = c;
			*found = true;
		}
	}
	return best;
}

/* The lowest-numbered CPU nobody else holds, else `fallback`. */
static unsigned first_idle(struct kernel *k, const struct thread *self, unsigned fallback)
{
	for (unsigned c = 0; c < mmu_cpus(k->mmu); c++)
		if (!holder_of(k, c, self))
			return c;
	return fallback;
}

void sched_place(struct kernel *k, struct thread *t)
{
	unsigned n = mmu_cpus(k->mmu);
	if (n <= 1)
		return;
	bool idle_found;
	unsigned idle = idlest(k, true, t, &idle_found);
	unsigned cpu;
	if (!t->placed)
		cpu = first_idle(k, t, idle_found ? idle : idlest(k, false, t, &idle_found));
	else if (holder_of(k, t->cpu, t) && idle_found)
		cpu = idle;
	else
		cpu = t->cpu;
	bool migrated = t->placed && cpu != t->cpu;
	t->cpu = (uint8_t)cpu;
	t->placed = true;
	/* The others idle (lazy TLB) when what they ran cannot run. */
	uint64_t lazy = 0;
	for (unsigned c = 0; c < n; c++)
		if (c != cpu && !holder_of(k, c, t))
			lazy |= 1ull << c;
	kernel_place(k, t->p, cpu, lazy, migrated);
}

int kernel_place(struct kernel *k, struct proc *p, unsigned cpu, uint64_t lazy, bool migrated)
{
	unsigned n = mmu_cpus(k->mmu);
	if (cpu >= n)
		return -EINVAL;
	if (migrated)
		smp_stats_of(k)->migrations++;
	smp_enter(k, cpu, &p->mm);
	for (unsigned c = 0; c < n; c++)
		if (c != cpu)
			smp_set_lazy(k, c, lazy >> c & 1);
	if (op_hooked(k)) {
		struct os_op op = {.kind = OP_PLACE};
		op.u.place.cpu = cpu;
		op.u.place.lazy = lazy & ~(1ull << cpu);
		op.u.place.migrated = migrated;
		op_emit(k, p->pid, &op);
	}
	return 0;
}
