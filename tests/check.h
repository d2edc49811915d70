/* A minimal test harness: checks count, failures print where and what, and
 * the test program's exit status is non-zero if any check failed. */
#ifndef MMUSIM_CHECK_H
#define MMUSIM_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (cond) {                                                             \
			check_passed++;                                                 \
		} else {                                                                \
			check_failed++;                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                       \
	} while (0)

#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                        \
		if (a_ == b_) {                                                         \
			check_passed++;                                                 \
		} else {                                                                \
			check_failed++;                                                 \
			fprintf(stderr, "%s:%d: %s == %s failed: 0x%" PRIx64 " (%" PRIu64 ") != 0x%" PRIx64 " (%" PRIu64 ")\n", \
				__FILE__, __LINE__, #a, #b, a_, a_, b_, b_);            \
		}                                                                       \
	} while (0)

#define CHECK_STR(a, b)                                                                 \
	do {                                                                            \
		const char *a_ = (a), *b_ = (b);                                        \
		if (a_ && b_ && !strcmp(a_, b_)) {                                      \
			check_passed++;                                                 \
		} else {                                                                \
			check_failed++;                                                 \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");                \
		}                                                                       \
	} while (0)

/* Call at the end of main: prints the tally and gives the exit status. */
static inline int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
