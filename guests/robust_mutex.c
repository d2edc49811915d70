/* robust_mutex — robust futex lists: the kernel's cleanup of the locks a
 * thread held when it died (set_robust_list, exit_robust_list).
 *
 * Memory behaviour: at a thread's death, at its process's exit (any way,
 * a fatal signal too) and at exec, the kernel reads the thread's robust
 * list (registered by glibc at thread start) in the dying address space
 * and writes FUTEX_OWNER_DIED into each lock word the thread owns.
 *
 * Prints, in order: set_robust_list's and get_robust_list's answers
 * (EINVAL for a wrong length, ESRCH for no such thread, EFAULT); glibc
 * robust mutexes (PTHREAD_MUTEX_ROBUST) whose owner dies holding them — a
 * thread that returns, a thread that dies while another waits in the lock
 * (a woken waiter), a child process that exits, one killed by SIGSEGV, one
 * that execs, one whose other thread holds the lock when the main thread
 * calls _exit — each next locker getting EOWNERDEAD, then
 * pthread_mutex_consistent making it usable again (or, without it,
 * ENOTRECOVERABLE); and a hand-made list walked by the kernel: words the
 * dead thread owns marked (FUTEX_WAITERS kept), words it does not own
 * untouched, the pending entry, the 2,048-entry limit, a misaligned word
 * ending the walk. Exits 0. qemu-user has no robust lists (ENOSYS): the
 * program says so and stops, so run-native.sh skips its AArch64 run. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case ENOSYS: return "ENOSYS";
	default: return "other";
	}
}

static const char *sys_result(long rc) { return rc == 0 ? "0" : err_name(errno); }

static pthread_mutex_t *mutex;   /* robust, process-shared, in a MAP_SHARED page */
static volatile uint32_t *flag;  /* same page, past the mutex */

static void robust_init(void)
{
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(mutex, &ma);
	pthread_mutexattr_destroy(&ma);
}

static void test_calls(void)
{
	struct robust_list_head *head = NULL, *glibc;
	size_t len = 0;
	printf("set_robust_list len 0: %s\n", sys_result(syscall(SYS_set_robust_list, NULL, 0)));
	printf("set_robust_list len 25: %s\n", sys_result(syscall(SYS_set_robust_list, NULL, 25)));
	long rc = syscall(SYS_get_robust_list, 0, &head, &len);
	printf("get_robust_list self: %s, len %zu, head %s\n", sys_result(rc), len, head ? "set" : "none");
	glibc = head;
	struct robust_list_head mine = {.list = {&mine.list}, .futex_offset = 0, .list_op_pending = NULL};
	syscall(SYS_set_robust_list, &mine, sizeof mine);
	syscall(SYS_get_robust_list, 0, &head, &len);
	printf("get_robust_list after set: %s\n", head == &mine ? "ours" : "other");
	syscall(SYS_set_robust_list, glibc, sizeof *glibc);   /* glibc's again: its locks are listed there */
	printf("get_robust_list by own tid: %s\n", sys_result(syscall(SYS_get_robust_list, getpid(), &head, &len)));
	printf("get_robust_list no such tid: %s\n", sys_result(syscall(SYS_get_robust_list, 999999, &head, &len)));
	printf("get_robust_list bad head_ptr: %s\n", sys_result(syscall(SYS_get_robust_list, 0, (void *)8, &len)));
	printf("get_robust_list bad len_ptr: %s\n", sys_result(syscall(SYS_get_robust_list, 0, &head, (void *)8)));
}

static void *lock_and_return(void *arg)
{
	(void)arg;
	pthread_mutex_lock(mutex);
	return NULL;
}

static void after_death(const char *what, bool consistent)
{
	int rc = pthread_mutex_lock(mutex);
	printf("%s: %s", what, err_name(rc));
	if (rc == EOWNERDEAD && consistent)
		printf(", consistent %s", err_name(pthread_mutex_consistent(mutex)));
	if (rc == 0 || rc == EOWNERDEAD)
		printf(", unlock %s", err_name(pthread_mutex_unlock(mutex)));
	printf(", lock again %s\n", err_name(pthread_mutex_lock(mutex)));
	pthread_mutex_unlock(mutex);
}

static void test_threads(void)
{
	pthread_t t;
	pthread_create(&t, NULL, lock_and_return, NULL);
	pthread_join(t, NULL);
	after_death("thread returned holding it", true);

	pthread_create(&t, NULL, lock_and_return, NULL);
	pthread_join(t, NULL);
	after_death("again, not made consistent", false);
	robust_init();   /* ENOTRECOVERABLE for good: a fresh one */
}

/* A thread that holds the lock while main waits in it, then returns. */
static void *hold_until_waited(void *arg)
{
	(void)arg;
	pthread_mutex_lock(mutex);
	*flag = 1;
	while ((__atomic_load_n((uint32_t *)mutex, __ATOMIC_SEQ_CST) & FUTEX_WAITERS) == 0)
		sched_yield();
	return NULL;
}

static void test_waiter(void)
{
	pthread_t t;
	*flag = 0;
	pthread_create(&t, NULL, hold_until_waited, NULL);
	while (!*flag)
		sched_yield();
	int rc = pthread_mutex_lock(mutex);   /* sleeps until the owner's death wakes it */
	printf("waiter woken by the owner thread's death: %s, consistent %s\n", err_name(rc),
	       err_name(pthread_mutex_consistent(mutex)));
	pthread_mutex_unlock(mutex);
	pthread_join(t, NULL);
}

static void *hold_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(mutex);
	*flag = 1;
	for (;;)
		pause();
	return NULL;
}

static void child_dies(const char *what, int how)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (how == 3) {   /* another thread holds it; the main thread ends the group */
			pthread_t t;
			*flag = 0;
			pthread_create(&t, NULL, hold_forever, NULL);
			while (!*flag)
				sched_yield();
			_exit(0);
		}
		pthread_mutex_lock(mutex);
		if (how == 1) {   /* SIGSEGV: an address from memory, so the compiler keeps the store */
			volatile uintptr_t bad = 0x1000;
			*(volatile int *)bad = 1;
		}
		if (how == 2) {
			char *argv[] = {"robust_mutex", "exec-child", NULL};
			execv("/proc/self/exe", argv);
		}
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	char line[128];
	snprintf(line, sizeof line, "%s (%s)", what,
		 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : WEXITSTATUS(status) ? "failed" : "exit 0");
	after_death(line, true);
}

/* A list of our own, registered by a child and walked when it exits. */
struct entry {
	struct robust_list next;   /* futex_offset 8: the word follows */
	uint32_t word;
	uint32_t pad;
};

#define NENTRIES 2100

static const char *word_state(uint32_t w, uint32_t owner)
{
	static char buf[8][32];
	static int n;
	char *b = buf[n++ % 8];
	snprintf(b, sizeof buf[0], "%s%s", w & FUTEX_OWNER_DIED ? "died" : (w & FUTEX_TID_MASK) == owner ? "owned" : w ? "other" : "0",
		 w & FUTEX_WAITERS ? "+waiters" : "");
	return b;
}

/* Round 0: four entries, the last one pending too (handled once, after
 * the list). Round 1: the second entry's word is misaligned: the walk
 * stops there, the pending one too. Round 2: more entries than the limit. */
static void hand_made_child(struct entry *e, struct robust_list_head *head, int round)
{
	uint32_t me = (uint32_t)getpid();
	int n = round == 2 ? NENTRIES : round ? 3 : 4;
	for (int i = 0; i < n; i++) {
		e[i].next.next = i + 1 < n ? &e[i + 1].next : &head->list;
		e[i].word = me;
	}
	if (round == 0) {
		e[0].word = me | FUTEX_WAITERS;
		e[1].word = 12345;   /* another thread's */
		head->list_op_pending = &e[3].next;
	} else if (round == 1) {
		e[0].next.next = (struct robust_list *)((char *)&e[1].next + 2);
		head->list_op_pending = &e[2].next;
	}
	head->list.next = &e[0].next;
	head->futex_offset = 8;
	syscall(SYS_set_robust_list, head, sizeof *head);
	_exit(0);
}

static void test_hand_made(void)
{
	size_t size = (NENTRIES + 8) * sizeof(struct entry);
	struct entry *e = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct robust_list_head *head = (struct robust_list_head *)&e[NENTRIES + 4];
	for (int round = 0; round < 3; round++) {
		memset(e, 0, size);
		pid_t pid = fork();
		if (pid == 0)
			hand_made_child(e, head, round);
		waitpid(pid, NULL, 0);
		uint32_t owner = (uint32_t)pid;
		if (round == 0)
			printf("list: %s %s %s, pending %s\n", word_state(e[0].word, owner), word_state(e[1].word, owner),
			       word_state(e[2].word, owner), word_state(e[3].word, owner));
		else if (round == 1)
			printf("misaligned second: %s %s, pending %s\n", word_state(e[0].word, owner),
			       word_state(e[1].word, owner), word_state(e[2].word, owner));
		else {
			int marked = 0;
			for (int i = 0; i < NENTRIES; i++)
				marked += (e[i].word & FUTEX_OWNER_DIED) != 0;
			printf("a list of %d locks: %d marked, the next %s\n", NENTRIES, marked,
			       word_state(e[marked].word, owner));
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (syscall(SYS_set_robust_list, NULL, 0) == -1 && errno == ENOSYS) {
		printf("set_robust_list: ENOSYS (no robust lists: qemu-user)\n");
		return 0;
	}
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mutex = page;
	flag = (uint32_t *)((char *)page + 2048);
	robust_init();
	test_calls();
	test_threads();
	test_waiter();
	child_dies("child exited holding it", 0);
	child_dies("child killed holding it", 1);
	child_dies("child exec'd holding it", 2);
	child_dies("child's other thread held it at _exit", 3);
	test_hand_made();
	return 0;
}
