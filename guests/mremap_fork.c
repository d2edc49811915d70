/* mremap_fork — mremap of anonymous pages shared copy-on-write since fork.
 *
 * Memory behaviour: the parent fills 8 pages and forks, so both processes
 * map the same frames read-only. The child moves its mapping (grown with
 * MREMAP_MAYMOVE past a guard page): the page-table entries move, the
 * frames stay shared — no copy, no fault reading them at the new place.
 * Then each side writes half the pages while the other still maps them:
 * each write is a COW break, and neither sees the other's data. The
 * parent then moves its own mapping to a fixed place (MREMAP_FIXED) while
 * a second child still shares it, and both read and write again.
 *
 * Prints what each side sees (no addresses, no fault counts: those are in
 * the event log; tests/mremap_fork.sh counts them); exits 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 8
static long P;

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(char *p, int from, int to, int seed)
{
	for (int i = from; i < to; i++)
		memset(p + i * P, seed + i, (size_t)P);
}

/* Which seed each page holds: "1111" for seed 1 and so on, '?' for neither. */
static void show(const char *who, const char *p, int seed_a, int seed_b)
{
	char s[N + 1];
	for (int i = 0; i < N; i++) {
		char c = p[i * P + P / 2];
		s[i] = c == (char)(seed_a + i) ? 'a' : c == (char)(seed_b + i) ? 'b' : '?';
	}
	s[N] = '\0';
	printf("%s: %s\n", who, s);
	fflush(stdout);
}

static void wait_byte(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die("read");
}

static void send_byte(int fd)
{
	if (write(fd, "x", 1) != 1)
		die("write");
}

static void reap(pid_t c)
{
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
}

int main(void)
{
	P = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)(N + 1) * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (mprotect(p + N * P, (size_t)P, PROT_NONE))   /* a guard: growing in place is impossible */
		die("mprotect");
	fill(p, 0, N, 1);
	int to_child[2], to_parent[2];
	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	printf("1. the child moves its copy, both write half (a: the parent's fill, b: the writer's)\n");
	fflush(stdout);
	pid_t c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		char *q = mremap(p, (size_t)N * P, (size_t)2 * N * P, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			die("mremap");
		printf("child: moved %s\n", q != p ? "yes" : "no");
		printf("child: old place still mapped %s\n", msync(p, (size_t)P, MS_ASYNC) ? "no" : "yes");
		show("child after the move", q, 1, 51);
		fill(q, 0, N / 2, 51);              /* COW breaks: the parent still maps them */
		fill(q, N, 2 * N, 7);               /* the grown part: fresh pages */
		send_byte(to_parent[1]);
		wait_byte(to_child[0]);             /* the parent has written its half */
		show("child after both wrote", q, 1, 51);
		_exit(0);
	}
	wait_byte(to_parent[0]);
	fill(p, N / 2, N, 51);
	show("parent after both wrote", p, 1, 51);
	send_byte(to_child[1]);
	reap(c);

	printf("2. the parent moves to a fixed place while a child shares the pages\n");
	fflush(stdout);
	fill(p, 0, N, 1);
	char *target = mmap(NULL, (size_t)N * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (target == MAP_FAILED)
		die("mmap");
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		wait_byte(to_child[0]);             /* the parent has moved and written */
		show("child, unmoved, after the parent wrote", p, 1, 51);
		fill(p, 0, 2, 51);
		show("child after writing", p, 1, 51);
		send_byte(to_parent[1]);
		_exit(0);
	}
	char *q = mremap(p, (size_t)N * P, (size_t)N * P, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	if (q != target)
		die("mremap fixed");
	show("parent after the move", q, 1, 51);
	fill(q, N - 2, N, 51);
	send_byte(to_child[1]);
	wait_byte(to_parent[0]);
	show("parent after the child wrote", q, 1, 51);
	reap(c);

	printf("3. a fork of the moved mapping, moved back\n");
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char *r = mremap(q, (size_t)N * P, (size_t)N * P, MREMAP_MAYMOVE | MREMAP_FIXED, p);
		if (r != p)
			die("mremap back");
		show("grandchild's copy, moved back", r, 1, 51);
		fill(r, 2, 4, 51);
		show("grandchild after writing", r, 1, 51);
		_exit(0);
	}
	reap(c);
	show("parent at the end", q, 1, 51);
	return 0;
}
