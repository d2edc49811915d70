/* The program behind lackey-small.log (test_trace's lackey test data):
 *     gcc -O1 -static -o prog lackey-small.c
 *     valgrind --tool=lackey --trace-mem=yes --log-file=lk.log ./prog
 * (Valgrind 3.19.0, Debian 12, x86-64). The committed log is the first 2500
 * lines of lk.log (the banner and the start of the C library's start-up)
 * followed by lines 45400 to the end (malloc's first call, main's loops
 * over the heap block, free, exit and the summary): 4402 lines, 63 KB. */
#include <stdlib.h>
#include <string.h>
int main(void)
{
	unsigned char *p = malloc(4096);
	if (!p)
		return 1;
	for (int i = 0; i < 4096; i += 64)
		p[i] = (unsigned char)i;
	unsigned sum = 0;
	for (int i = 0; i < 4096; i += 128)
		sum += p[i];
	volatile unsigned sink = sum;
	(void)sink;
	free(p);
	return 0;
}
