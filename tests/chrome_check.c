/* Checks a Chrome trace (mmusim --chrome-trace) against what the same run's
 * --stats-json says, as Perfetto would read it:
 *   chrome_check TRACE.json STATS.json NPROCS [SYSCALL...]
 * - a JSON object with a traceEvents list, every event with name, ph, pid;
 * - NPROCS processes, each with a process_name and one lifetime slice, the
 *   later ones with their parent in args;
 * - one fault slice per fault the stats count, with the fault's details as
 *   args (address, access, syndrome, path, chain, entries, outcome);
 * - the system calls named are there (a run; a replay has none);
 * - slices on one track nest (a slice inside another ends inside it); they
 *   are written as they complete, not sorted (the viewers sort). */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

static cJSON *load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	static char buf[64 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	cJSON *j = cJSON_Parse(buf);
	if (!j) {
		fprintf(stderr, "%s: not valid JSON\n", path);
		exit(1);
	}
	return j;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* A fault slice's args: what the inspector shows. */
static void check_fault(const cJSON *ev)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(ev, "args");
	CHECK(str(a, "va") && !strncmp(str(a, "va"), "0x", 2));
	CHECK(str(a, "access") && strstr("read write fetch", str(a, "access")));
	CHECK(str(a, "kind") != NULL);
	CHECK(str(a, "syndrome") != NULL);
	CHECK(str(a, "error_code") || (str(a, "esr") && str(a, "far")));
	CHECK(str(a, "path") && !strncmp(str(a, "path"), "entry > ", 8));
	CHECK(str(a, "linux") || str(a, "xnu") || str(a, "liteos"));
	CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(a, "ptes")));
	CHECK(str(a, "outcome") != NULL);
	CHECK(num(a, "cycles") > 0 && num(ev, "dur") > 0);
}

struct span {
	int pid;
	double ts, end;
};

/* Slices of one track either nest or do not meet (a little slack for the
 * microseconds' rounding). */
static void check_nesting(const struct span *s, int n)
{
	int bad = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)   /* j starts inside i and ends after it: in any order */
			if (i != j && s[i].pid == s[j].pid && s[j].ts > s[i].ts + 1e-6 && s[j].ts < s[i].end - 1e-6 &&
			    s[j].end > s[i].end + 1e-6 && bad++ < 3)
				fprintf(stderr, "pid %d: [%f, %f] overlaps [%f, %f]\n", s[i].pid, s[i].ts, s[i].end, s[j].ts,
					s[j].end);
	CHECK(bad == 0);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: chrome_check TRACE.json STATS.json NPROCS [SYSCALL...]\n");
		return 2;
	}
	cJSON *trace = load(argv[1]), *stats = load(argv[2]);
	int nprocs = atoi(argv[3]);
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(trace, "traceEvents");
	CHECK(cJSON_IsArray(events));
	CHECK(str(trace, "displayTimeUnit") != NULL);
	int n = cJSON_GetArraySize(events), faults = 0, names = 0, lives = 0, children = 0, nspans = 0;
	struct span *spans = calloc((size_t)n + 1, sizeof *spans);
	const cJSON *ev;
	cJSON_ArrayForEach(ev, events)
	{
		const char *name = str(ev, "name"), *ph = str(ev, "ph"), *cat = str(ev, "cat");
		CHECK(name && ph && num(ev, "pid") >= 0);
		if (!name || !ph)
			continue;
		if (!strcmp(ph, "M")) {
			names += !strcmp(name, "process_name") && num(ev, "pid") > 0;
			continue;
		}
		if (strcmp(ph, "X"))
			continue;
		spans[nspans++] = (struct span){(int)num(ev, "pid"), num(ev, "ts"), num(ev, "ts") + num(ev, "dur")};
		if (cat && !strcmp(cat, "fault")) {
			faults++;
			check_fault(ev);
		} else if (cat && !strcmp(cat, "process")) {
			lives++;
			children += num(cJSON_GetObjectItemCaseSensitive(ev, "args"), "parent") >= 1;
		}
	}
	CHECK_EQ(names, nprocs);
	CHECK_EQ(lives, nprocs);
	CHECK_EQ(children, nprocs - 1);
	CHECK_EQ(faults, num(cJSON_GetObjectItemCaseSensitive(stats, "faults"), "total"));
	CHECK(faults > 0);
	check_nesting(spans, nspans);
	for (int i = 4; i < argc; i++) {
		bool found = false;
		cJSON_ArrayForEach(ev, events)
		{
			const char *cat = str(ev, "cat");
			found |= cat && !strcmp(cat, "syscall") && !strcmp(str(ev, "name"), argv[i]);
		}
		if (!found)
			fprintf(stderr, "no system call %s\n", argv[i]);
		CHECK(found);
	}
	free(spans);
	cJSON_Delete(trace);
	cJSON_Delete(stats);
	printf("chrome_check: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
