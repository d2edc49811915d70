/* The kernel's scheduling decision (os/sched.c) without a CPU: round-robin
 * order over live processes, a blocked call made again on its turn, and a
 * deadlock once every process sleeps for a whole round. */
#include "tests/check.h"
#include "tests/testkernel.h"
#include "os/os.h"

/* x86-64 system-call numbers. */
#define NR_READ 0
#define NR_PIPE 22
#define NR_FORK 57
#define NR_WAIT4 61

static struct sys_result call(struct kernel *k, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t a[6] = {a0, a1, a2, 0, 0, 0};
	return os_syscall(k, nr, a);
}

static int fork_child(struct kernel *k)
{
	struct sys_result r = call(k, NR_FORK, 0, 0, 0);
	CHECK_EQ(r.action, SYSA_FORK);
	return (int)r.ret;
}

static int next_pid(struct kernel *k)
{
	struct proc *p = sched_next(k);
	return p ? proc_pid(p) : 0;
}

/* Process 1 first, then round robin in creation order, the dead skipped. */
static void round_robin(void)
{
	struct os_config oc = test_os_config("linux");
	struct kernel *k = test_kernel("skylake", 64ull << 20, &oc);
	struct proc *init = kernel_current(k);
	CHECK_EQ(proc_exec(init, 0x7ffff0000000ull, 0x600000), 0);
	int a = fork_child(k), b = fork_child(k), c = fork_child(k);
	CHECK_EQ(next_pid(k), 1);
	CHECK_EQ(next_pid(k), a);
	CHECK_EQ(next_pid(k), b);
	proc_kill(proc_find(k, c), 9);
	CHECK_EQ(proc_sched_state(proc_find(k, c)), SCHED_DEAD);
	CHECK_EQ(next_pid(k), 1);   /* c is dead: round again */
	proc_exit(proc_find(k, a), 0);
	CHECK_EQ(next_pid(k), b);
	CHECK_EQ(next_pid(k), 1);
	proc_exit(proc_find(k, b), 0);
	CHECK_EQ(next_pid(k), 1);   /* the only one left: again */
	proc_exit(init, 0);
	CHECK_EQ(next_pid(k), 0);
	kernel_destroy(k);
}

/* wait4 sleeps until the child exits; its turn then makes it again. */
static void woken_on_turn(void)
{
	struct os_config oc = test_os_config("linux");
	struct kernel *k = test_kernel("skylake", 64ull << 20, &oc);
	struct proc *init = kernel_current(k);
	CHECK_EQ(proc_exec(init, 0x7ffff0000000ull, 0x600000), 0);
	int child = fork_child(k);
	CHECK_EQ(call(k, NR_WAIT4, (uint64_t)-1, 0, 0).action, SYSA_BLOCK);
	CHECK_EQ(proc_sched_state(init), SCHED_BLOCKED);
	CHECK_EQ(sched_turn(k).what, TURN_ASLEEP);
	proc_exit(proc_find(k, child), 7);
	kernel_switch(k, init);
	struct sched_turn t = sched_turn(k);
	CHECK_EQ(t.what, TURN_WOKEN);
	CHECK_EQ(t.nr, NR_WAIT4);
	CHECK_EQ(t.r.ret, child);
	CHECK_EQ(proc_sched_state(init), SCHED_RUNNABLE);
	CHECK_EQ(sched_turn(k).what, TURN_RUN);
	kernel_destroy(k);
}

/* Two processes read an empty pipe whose write end they hold: after a
 * whole round asleep (and no timeout to wait for), a deadlock. */
static void deadlock(void)
{
	struct os_config oc = test_os_config("linux");
	struct kernel *k = test_kernel("skylake", 64ull << 20, &oc);
	struct proc *init = kernel_current(k);
	uint64_t fds_va = 0x7fffeffff000ull;
	CHECK_EQ(proc_exec(init, 0x7ffff0000000ull, 0x600000), 0);
	CHECK_EQ(call(k, NR_PIPE, fds_va, 0, 0).ret, 0);
	int32_t fds[2] = {-1, -1};
	CHECK_EQ(os_copy_from_user(k, fds, fds_va, sizeof fds), 0);
	struct proc *child = proc_find(k, fork_child(k));
	uint64_t buf = fds_va + 64;
	CHECK_EQ(call(k, NR_READ, (uint64_t)fds[0], buf, 1).action, SYSA_BLOCK);
	kernel_switch(k, child);
	CHECK_EQ(call(k, NR_READ, (uint64_t)fds[0], buf, 1).action, SYSA_BLOCK);
	enum sched_verdict v = TURN_RUN;
	int turns = 0;
	while (turns < 10 && (v = sched_turn(k).what) != TURN_DEADLOCK) {
		CHECK_EQ(v, TURN_ASLEEP);
		kernel_switch(k, sched_next(k));
		turns++;
	}
	CHECK_EQ(v, TURN_DEADLOCK);
	CHECK_EQ(turns, 2);   /* two asleep, the third makes a whole round */
	kernel_destroy(k);
}

int main(void)
{
	round_robin();
	woken_on_turn();
	deadlock();
	printf("test_sched: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
