/* Futex operations beyond WAIT and WAKE (issue 18): REQUEUE, CMP_REQUEUE,
 * WAKE_OP with every operation and comparison of FUTEX_OP and Linux's
 * errors, glibc's condvar broadcast and barrier, and shared futexes: a
 * process-shared mutex and condvar in MAP_SHARED|MAP_ANONYMOUS memory
 * between parent and child, and a raw futex in a shared file mapping.
 * Whether a thread waits is probed without waking it: a REQUEUE of a
 * futex onto itself counts its waiters. Output is deterministic. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, uintptr_t val2, uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static const char *err(long rc)
{
	if (rc >= 0)
		return "ok";
	switch (errno) {
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EFAULT: return "EFAULT";
	default: return "other";
	}
}

/* Waiters on w (private), counted without waking them. */
static long waiters(uint32_t *w, int priv)
{
	return futex(w, FUTEX_REQUEUE | priv, 0, INT_MAX, w, 0);
}

/* Until n threads wait on w; 0 if they never do. */
static int await_waiters(uint32_t *w, long n, int priv)
{
	for (int i = 0; i < 1000000; i++) {
		if (waiters(w, priv) == n)
			return 1;
		sched_yield();
	}
	return 0;
}

struct waiter {
	uint32_t *w;
	uint32_t val;
	long rc;
};

static void *wait_once(void *arg)
{
	struct waiter *a = arg;
	a->rc = futex(a->w, FUTEX_WAIT_PRIVATE, a->val, 0, NULL, 0);
	return NULL;
}

static uint32_t w1, w2;

static void wake_op_case(int op, int cmp, int oparg, int cmparg, uint32_t old)
{
	w2 = old;
	struct waiter a = {&w2, old, -1};
	pthread_t t;
	pthread_create(&t, NULL, wait_once, &a);
	if (!await_waiters(&w2, 1, FUTEX_PRIVATE_FLAG))
		printf("waiter never slept\n");
	long rc = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(op, oparg, cmp, cmparg));
	uint32_t now = w2;
	long woken = rc;
	if (rc == 0)   /* the comparison failed: wake it ourselves */
		futex(&w2, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
	pthread_join(t, NULL);
	printf("wake_op op %d cmp %d oparg %d cmparg %d old %u: %ld %s, now %u\n", op, cmp, oparg, cmparg, old,
	       woken, err(rc), now);
}

static void test_wake_op(void)
{
	for (int op = 0; op <= 4; op++)
		for (int cmp = 0; cmp <= 5; cmp++)
			wake_op_case(op, cmp, 3, 5, 5);
	wake_op_case(FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_LT, 4, -1, 0xfffffff0u);
	wake_op_case(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_GE, 31, -2048, 1);
	wake_op_case(FUTEX_OP_SET, FUTEX_OP_CMP_GT, -1, 2047, 7);
	/* Errors: an unknown operation writes nothing; an unknown comparison
	 * fails after the operation; alignment, addresses. */
	w2 = 9;
	long rc = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, (5u << 28) | (1u << 12));
	printf("op 5: %s, now %u\n", err(rc), w2);
	rc = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, (1u << 28) | (6u << 24) | (1u << 12));
	printf("cmp 6: %s, now %u\n", err(rc), w2);
	rc = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)((char *)&w2 + 1), 0);
	printf("unaligned uaddr2: %s\n", err(rc));
	rc = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)16, 0);
	printf("bad uaddr2: %s\n", err(rc));
}

static uint32_t qa, qb;

static void test_requeue(void)
{
	struct waiter a[3];
	pthread_t t[3];
	qa = 1;
	for (int i = 0; i < 3; i++) {
		a[i] = (struct waiter){&qa, 1, -1};
		pthread_create(&t[i], NULL, wait_once, &a[i]);
	}
	if (!await_waiters(&qa, 3, FUTEX_PRIVATE_FLAG))
		printf("waiters never slept\n");
	long rc = futex(&qa, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &qb, 2);
	printf("cmp_requeue with a stale value: %ld %s\n", rc, err(rc));
	rc = futex(&qa, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &qb, 1);
	printf("cmp_requeue wake 1 move 1: %ld %s\n", rc, err(rc));
	printf("left on a %ld, on b %ld\n", waiters(&qa, FUTEX_PRIVATE_FLAG), waiters(&qb, FUTEX_PRIVATE_FLAG));
	rc = futex(&qa, FUTEX_REQUEUE_PRIVATE, 0, 5, &qb, 0);
	printf("requeue wake 0 move 5: %ld\n", rc);
	printf("left on a %ld, on b %ld\n", waiters(&qa, FUTEX_PRIVATE_FLAG), waiters(&qb, FUTEX_PRIVATE_FLAG));
	rc = futex(&qa, FUTEX_REQUEUE_PRIVATE, (uint32_t)-1, 1, &qb, 0);
	printf("requeue nr_wake -1: %s\n", err(rc));
	rc = futex(&qa, FUTEX_REQUEUE_PRIVATE, 1, (uintptr_t)(uint32_t)-1, &qb, 0);
	printf("requeue nr_requeue -1: %s\n", err(rc));
	rc = futex(&qb, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
	printf("woken on b: %ld\n", rc);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("waits returned %s %s %s\n", err(a[0].rc), err(a[1].rc), err(a[2].rc));
}

/* glibc's condvar broadcast and its barrier. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, arrive_cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static int go, arrived, total;

static void *cond_worker(void *arg)
{
	long id = (long)arg;
	pthread_mutex_lock(&mu);
	arrived++;
	pthread_cond_signal(&arrive_cv);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	total += (int)id;
	pthread_mutex_unlock(&mu);
	for (int round = 0; round < 5; round++) {
		__atomic_fetch_add(&total, 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

static void test_cond_barrier(void)
{
	enum { N = 4 };
	pthread_t t[N];
	pthread_barrier_init(&bar, NULL, N + 1);
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, cond_worker, (void *)(i + 1));
	pthread_mutex_lock(&mu);
	while (arrived < N)
		pthread_cond_wait(&arrive_cv, &mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int round = 0; round < 5; round++)
		pthread_barrier_wait(&bar);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("broadcast and barrier: total %d (of %d)\n", total, 1 + 2 + 3 + 4 + N * 5);
}

/* A process-shared mutex and condvar: parent and child take turns. */
struct shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int turn, count;
};

static void test_process_shared(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->mu, &ma);
	pthread_cond_init(&s->cv, &ca);
	enum { ROUNDS = 50 };
	pid_t pid = fork();
	int me = pid == 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&s->mu);
		while (s->turn != me)
			pthread_cond_wait(&s->cv, &s->mu);
		s->count++;
		s->turn = !me;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	if (me)
		_exit(0);
	int status;
	waitpid(pid, &status, 0);
	printf("process-shared mutex and condvar: count %d (of %d), child status %d\n", s->count, 2 * ROUNDS,
	       WEXITSTATUS(status));
}

/* A raw shared futex in a file both processes map, at other addresses:
 * the child sleeps on it, the parent sees it wait and wakes it. */
static void test_file_futex(void)
{
	int fd = open("futex_file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 8192) != 0) {
		printf("file: cannot create\n");
		return;
	}
	uint32_t *pw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t pid = fork();
	if (pid == 0) {
		uint32_t *cw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		uint32_t *w = cw + 1024 + 3;   /* second page */
		while (__atomic_load_n(w, __ATOMIC_SEQ_CST) == 0)
			futex(w, FUTEX_WAIT, 0, 0, NULL, 0);
		_exit((int)*w);
	}
	uint32_t *w = pw + 1024 + 3;
	int seen = await_waiters(w, 1, 0);
	long private_seen = waiters(w, FUTEX_PRIVATE_FLAG);   /* a private key is another futex */
	__atomic_store_n(w, 42, __ATOMIC_SEQ_CST);
	long rc = futex(w, FUTEX_WAKE, 1, 0, NULL, 0);
	int status;
	waitpid(pid, &status, 0);
	printf("file futex: waiter seen %d, as private %ld, woken %ld, child status %d\n", seen, private_seen, rc,
	       WEXITSTATUS(status));
	unlink("futex_file");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_wake_op();
	test_requeue();
	test_cond_barrier();
	test_process_shared();
	test_file_futex();
	return 0;
}
