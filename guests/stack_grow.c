/* stack_grow — growing the stack far past its initial size.
 *
 * Memory behaviour: a recursion 64 calls deep, each frame holding a 16 KiB
 * local array: about 1 MiB of stack in all, well past the stack VMA Linux
 * sets up at exec (128 KiB plus the argument pages, of which only the top
 * few are present). Each frame writes its array one byte per 4 KiB
 * from its highest address down, a stack probe, so the stack grows
 * downwards a page at a time: every new page is a fault just below the
 * stack VMA's bottom that extends the VMA (expand_stack) and maps a zeroed
 * frame. After the deepest call returns, each frame reads its bytes back.
 *
 * Prints: "depth 64, 1 MiB of frames, checksum <sum>", then exits 0. */
#include <stdio.h>

#define DEPTH 64
#define FRAME (16 * 1024)

/* noinline and the use of buf after the recursive call keep the compiler
 * from merging the frames or turning the recursion into a loop. */
static __attribute__((noinline)) unsigned long grow(int depth)
{
	volatile unsigned char buf[FRAME];
	for (int i = FRAME - 1; i >= 0; i -= 4096) /* probe, top page first */
		buf[i] = (unsigned char)(depth * 3 + i / 4096);
	unsigned long below = depth > 1 ? grow(depth - 1) : 0;
	unsigned long sum = 0;
	for (int i = FRAME - 1; i >= 0; i -= 4096)
		sum += buf[i];
	return below + sum;
}

int main(void)
{
	unsigned long sum = grow(DEPTH);
	printf("depth %d, %d MiB of frames, checksum %lu\n", DEPTH, DEPTH * FRAME >> 20, sum);
	return 0;
}
