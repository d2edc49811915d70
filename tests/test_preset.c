/* Presets: the bundled ones load with the numbers their files cite and build
 * a machine; a missing, wrong-typed or unknown key is refused with a message
 * naming the key. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "tests/check.h"
#include "presets/preset.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

static void bundled(void)
{
	char names[16][64];
	int n = preset_list(names, 16);
	CHECK(n >= 3);
	for (int i = 0; i < n; i++) {
		struct preset p;
		char err[512] = "";
		int rc = preset_load(names[i], &p, err, sizeof err);
		CHECK_EQ(rc, 0);
		if (rc) {
			fprintf(stderr, "%s\n", err);
			continue;
		}
		CHECK_STR(p.name, names[i]);
		struct physmem *pm = physmem_create(p.mmu.phys_size, p.mmu.fmt->page_shift);
		CHECK(pm != NULL);
		struct mmu *m = pm ? mmu_create(&p.mmu, pm, err, sizeof err) : NULL;
		CHECK(m != NULL);
		if (!m)
			fprintf(stderr, "%s: %s\n", names[i], err);
		mmu_destroy(m);
		physmem_destroy(pm);
	}

	struct preset p;
	char err[512];
	CHECK_EQ(preset_load("skylake", &p, err, sizeof err), 0);
	CHECK(p.mmu.fmt == &fmt_x86_64_4level);
	CHECK_EQ(p.mmu.l1d.array[0].entries, 64);
	CHECK_EQ(p.mmu.l1d.array[0].ways, 4);
	CHECK_EQ(p.mmu.l1d.array[0].sizes, 4096);
	CHECK_EQ(p.mmu.l1i.array[0].entries, 128);
	CHECK_EQ(p.mmu.l1i.array[0].ways, 8);
	CHECK_EQ(p.mmu.l2.array[0].entries, 1536);
	CHECK_EQ(p.mmu.l2.array[0].ways, 12);
	CHECK_EQ(p.mmu.l2.array[0].sizes, 4096 | (2u << 20));
	CHECK_EQ(p.mmu.walk_read_latency, 12); /* walker reads from L2: 12 cycles */
	CHECK_EQ(p.mmu.cost[COST_TRAP], 700);

	CHECK_EQ(preset_load("cortex-a76", &p, err, sizeof err), 0);
	CHECK(p.mmu.fmt == &fmt_aarch64_4k);
	CHECK_EQ(p.mmu.l1d.array[0].entries, 48);
	CHECK_EQ(p.mmu.l1d.array[0].ways, 48);
	CHECK_EQ(p.mmu.l1i.array[0].entries, 48);
	CHECK_EQ(p.mmu.l2.array[0].entries, 1280);
	CHECK_EQ(p.mmu.l2.array[0].ways, 5);
	CHECK(p.mmu.hw_af && p.mmu.hw_dbm);

	CHECK_EQ(preset_load("apple16k", &p, err, sizeof err), 0);
	CHECK(p.mmu.fmt == &fmt_aarch64_16k);
	CHECK(!p.mmu.hw_af);

	CHECK_EQ(preset_load("no-such-machine", &p, err, sizeof err), -1);
	CHECK(strstr(err, "unknown preset \"no-such-machine\"") != NULL);
}

/* Load skylake.json, apply `edit`, and expect the parse to fail naming `key`. */
static void refused(void (*edit)(cJSON *root), const char *expect)
{
	char path[600];
	snprintf(path, sizeof path, "%s/skylake.json", preset_dir());
	char *text = slurp(path);
	CHECK(text != NULL);
	if (!text)
		return;
	cJSON *root = cJSON_Parse(text);
	free(text);
	edit(root);
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	struct preset p;
	char err[512] = "";
	CHECK_EQ(preset_parse(json, "edited.json", &p, err, sizeof err), -1);
	if (!strstr(err, expect))
		fprintf(stderr, "expected \"%s\" in: %s\n", expect, err);
	CHECK(strstr(err, expect) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	free(json);
}

static cJSON *at(cJSON *root, const char *a, const char *b)
{
	cJSON *o = cJSON_GetObjectItem(root, a);
	return b ? cJSON_GetObjectItem(o, b) : o;
}

static void drop_l1d_latency(cJSON *r) { cJSON_DeleteItemFromObject(at(r, "tlb", "l1d"), "latency"); }
static void drop_paging(cJSON *r) { cJSON_DeleteItemFromObject(r, "paging"); }
static void pa_bits_string(cJSON *r) { cJSON_ReplaceItemInObject(r, "pa_bits", cJSON_CreateString("39")); }
static void typo_key(cJSON *r) { cJSON_AddNumberToObject(at(r, "tlb", "l1d"), "latncy", 1); }
static void bad_replacement(cJSON *r)
{
	cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(at(r, "tlb", "l2"), "arrays"), 0);
	cJSON_ReplaceItemInObject(a, "replacement", cJSON_CreateString("fifo"));
}
static void ways_string(cJSON *r)
{
	cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(at(r, "tlb", "l1d"), "arrays"), 1);
	cJSON_ReplaceItemInObject(a, "ways", cJSON_CreateString("4"));
}
static void drop_fault_cost(cJSON *r) { cJSON_DeleteItemFromObject(at(r, "fault_costs", NULL), "copy_per_kib"); }
static void bad_paging(cJSON *r) { cJSON_ReplaceItemInObject(r, "paging", cJSON_CreateString("sparc/8k")); }
static void bad_walk_cache_level(cJSON *r)
{
	cJSON_AddItemToObject(at(r, "walk_cache", NULL), "PT", cJSON_CreateObject());
}
static void hw_af_on_x86(cJSON *r) { cJSON_AddBoolToObject(r, "hw_af", 1); }
static void bad_size(cJSON *r)
{
	cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(at(r, "tlb", "l1d"), "arrays"), 0);
	cJSON *sizes = cJSON_CreateArray();
	cJSON_AddItemToArray(sizes, cJSON_CreateString("3K"));
	cJSON_ReplaceItemInObject(a, "page_sizes", sizes);
}
/* A newline in a key (found by fuzzing): the error stays one line. */
static void newline_in_key(cJSON *r) { cJSON_AddNumberToObject(r, "\n paging", 1); }
static void negative_latency(cJSON *r) { cJSON_ReplaceItemInObject(at(r, "memory", NULL), "l2", cJSON_CreateNumber(-3)); }

static void refusals(void)
{
	refused(drop_l1d_latency, "missing key \"tlb.l1d.latency\"");
	refused(drop_paging, "missing key \"paging\"");
	refused(pa_bits_string, "key \"pa_bits\" must be a number");
	refused(typo_key, "unknown key \"tlb.l1d.latncy\"");
	refused(bad_replacement, "tlb.l2.arrays[0].replacement");
	refused(ways_string, "key \"tlb.l1d.arrays[1].ways\" must be a number");
	refused(drop_fault_cost, "missing key \"fault_costs.copy_per_kib\"");
	refused(bad_paging, "unknown format \"sparc/8k\"");
	refused(bad_walk_cache_level, "walk_cache.PT");
	refused(hw_af_on_x86, "hw_af");
	refused(bad_size, "tlb.l1d.arrays[0].page_sizes");
	refused(negative_latency, "memory.l2");
	refused(newline_in_key, "unknown key \"? paging\"");

	struct preset p;
	char err[256];
	CHECK_EQ(preset_parse("{\"name\": ", "broken.json", &p, err, sizeof err), -1);
	CHECK(strstr(err, "broken.json") && strstr(err, "malformed JSON"));
	CHECK_EQ(preset_parse("[1,2]", "list.json", &p, err, sizeof err), -1);
}

static void sizes(void)
{
	CHECK_EQ(parse_size("4K"), 4096);
	CHECK_EQ(parse_size("2M"), 2u << 20);
	CHECK_EQ(parse_size("1G"), 1u << 30);
	CHECK_EQ(parse_size("512MB"), 512u << 20);
	CHECK_EQ(parse_size("12345"), 12345);
	CHECK_EQ(parse_size("4Q"), 0);
	CHECK_EQ(parse_size(""), 0);
	CHECK_EQ(parse_size("K"), 0);
	CHECK_EQ(parse_size("99999999999999999999G"), 0);
}

int main(void)
{
	bundled();
	refusals();
	sizes();
	return check_report("test_preset");
}
