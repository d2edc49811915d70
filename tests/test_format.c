/* Descriptor encodings, bit-exact against values worked out by hand from the
 * manuals (Intel SDM Vol. 3A tables 4-15..4-20; Arm ARM D8.3), for every
 * format and granule, plus the level geometry of each format. */
#include "tests/check.h"
#include "mmu/mmu.h"

static void check_roundtrip(const struct pt_format *f, int level, const struct pte *p, uint64_t expect)
{
	uint64_t raw = pte_encode(f, level, p);
	CHECK_EQ(raw, expect);
	struct pte d = pte_decode(f, level, raw);
	CHECK_EQ(d.kind, p->kind);
	CHECK_EQ(d.oa, p->oa);
	CHECK_EQ(d.write, p->write);
	CHECK_EQ(d.user, p->user);
	CHECK_EQ(d.nx, p->nx);
	CHECK_EQ(pte_encode(f, level, &d), raw);
}

static void x86_encodings(void)
{
	const struct pt_format *f = &fmt_x86_64_4level;
	/* PTE: P(0) RW(1) US(2) A(5) D(6) G(8), frame 0x12345000, PK=5 (62:59), XD(63). */
	struct pte p = {.kind = PTE_PAGE, .oa = 0x12345000, .write = true, .user = true, .accessed = true,
			.dirty = true, .global = true, .pkey = 5, .nx = true};
	check_roundtrip(f, 3, &p, 0xA800000012345167ull);
	struct pte d = pte_decode(f, 3, 0xA800000012345167ull);
	CHECK_EQ(d.pkey, 5);
	CHECK(d.global && d.dirty && d.accessed);

	/* PWT(3) PCD(4), PAT is bit 7 in a PTE. */
	struct pte c = {.kind = PTE_PAGE, .oa = 0x1000, .pwt = true, .pcd = true, .pat = true};
	CHECK_EQ(pte_encode(f, 3, &c), 0x1000 | 0x1 | 0x8 | 0x10 | 0x80);
	CHECK(pte_decode(f, 3, 0x1099).pat);

	/* 2 MiB PDE: PS(7), address 51:21, PAT at bit 12. */
	struct pte pd = {.kind = PTE_BLOCK, .oa = 0x40200000, .write = true};
	check_roundtrip(f, 2, &pd, 0x40200083ull);
	pd.pat = true;
	CHECK_EQ(pte_encode(f, 2, &pd), 0x40201083ull);
	CHECK(pte_decode(f, 2, 0x40201083ull).pat);
	CHECK_EQ(pte_decode(f, 2, 0x40201083ull).oa, 0x40200000);

	/* 1 GiB PDPTE: P US A PS. */
	struct pte pdpt = {.kind = PTE_BLOCK, .oa = 0x80000000, .user = true, .accessed = true};
	check_roundtrip(f, 1, &pdpt, 0x800000A5ull);

	/* A table entry as Linux writes it (_PAGE_TABLE: P RW US A D). */
	struct pte t = {.kind = PTE_TABLE, .oa = 0x3000, .write = true, .user = true, .accessed = true, .dirty = true};
	check_roundtrip(f, 0, &t, 0x3067ull);

	/* PS=1 in a PML4E is not a leaf (the walker calls it a reserved-bit fault). */
	CHECK_EQ(pte_decode(f, 0, 0x3083).kind, PTE_TABLE);
	/* Not present: every other bit is the OS's. */
	CHECK_EQ(pte_decode(f, 3, 0xFFFFFFFFFFFFFFFEull).kind, PTE_INVALID);
	struct pte none = {.kind = PTE_INVALID, .oa = 0x5000, .write = true};
	CHECK_EQ(pte_encode(f, 3, &none), 0);
	/* Software-available bits 11:9. */
	struct pte sw = {.kind = PTE_PAGE, .oa = 0x2000, .sw = 5};
	CHECK_EQ(pte_encode(f, 3, &sw), 0x2000 | 1 | (5ull << 9));
}

static void a64_encodings(void)
{
	const struct pt_format *f = &fmt_aarch64_4k;
	/* Page: V|T, AttrIndx=4 (4:2), AP[1]=1 (EL0), SH=3 (9:8), AF(10), nG(11), PXN(53), UXN(54). */
	struct pte p = {.kind = PTE_PAGE, .oa = 0x40001000, .attr_idx = 4, .user = true, .write = true, .sh = 3,
			.accessed = true, .global = false, .pxn = true, .nx = true};
	check_roundtrip(f, 3, &p, 0x0060000040001F53ull);
	/* Read-only (AP[2], bit 7), DBM (51), contiguous (52), software bits 58:55. */
	p.write = false;
	p.dbm = true;
	p.contig = true;
	p.sw = 9;
	CHECK_EQ(pte_encode(f, 3, &p), 0x0060000040001FD3ull | (1ull << 51) | (1ull << 52) | (9ull << 55));
	struct pte d = pte_decode(f, 3, pte_encode(f, 3, &p));
	CHECK(d.dbm && d.contig && !d.write && d.sw == 9 && d.attr_idx == 4 && d.sh == 3);

	/* Blocks: bits[1:0] = 01. 4K granule: level 1 (1 GiB) and level 2 (2 MiB). */
	struct pte b = {.kind = PTE_BLOCK, .oa = 0x80200000, .accessed = true, .write = true, .global = true};
	check_roundtrip(f, 2, &b, 0x80200401ull);
	b.oa = 0x40000000;
	check_roundtrip(f, 1, &b, 0x40000401ull);

	/* Table: V|T, APTable[1] (62) = no writes, APTable[0] (61) = no EL0,
	 * UXNTable (60), PXNTable (59). */
	struct pte t = {.kind = PTE_TABLE, .oa = 0x5000, .write = true, .user = true};
	check_roundtrip(f, 0, &t, 0x5003ull);
	t.write = false;
	CHECK_EQ(pte_encode(f, 1, &t), 0x4000000000005003ull);
	t.user = false;
	t.nx = true;
	t.pxn = true;
	check_roundtrip(f, 2, &t, 0x7800000000005003ull);
	CHECK(pte_decode(f, 2, 0x7800000000005003ull).pxn);

	/* 0b01 at level 3 is reserved: it behaves as invalid. 0b11 below level 3 is a table. */
	CHECK_EQ(pte_decode(f, 3, 0x40001401ull).kind, PTE_INVALID);
	CHECK_EQ(pte_decode(f, 2, 0x40001403ull).kind, PTE_TABLE);
	CHECK_EQ(pte_decode(f, 3, 0x40001402ull).kind, PTE_INVALID); /* valid bit clear */

	/* 16K granule: output address bits 47:14; level-2 blocks of 32 MiB. */
	const struct pt_format *g = &fmt_aarch64_16k;
	struct pte p16 = {.kind = PTE_PAGE, .oa = 0x4000C000, .accessed = true, .write = true, .global = true};
	check_roundtrip(g, 3, &p16, 0x4000C403ull);
	CHECK_EQ(pte_decode(g, 3, 0x4000F403ull).oa, 0x4000C000); /* bits 13:12 are not address */
	struct pte b16 = {.kind = PTE_BLOCK, .oa = 0x42000000, .accessed = true, .write = true, .global = true};
	check_roundtrip(g, 2, &b16, 0x42000401ull);
	CHECK_EQ(pte_decode(g, 2, 0x43000401ull).oa, 0x42000000); /* bits 24:14 are not address in a block */

	/* 64K granule: output address bits 47:16; level-2 blocks of 512 MiB. */
	const struct pt_format *h = &fmt_aarch64_64k;
	struct pte p64 = {.kind = PTE_PAGE, .oa = 0x40010000, .accessed = true, .write = true, .global = true};
	check_roundtrip(h, 3, &p64, 0x40010403ull);
	struct pte b64 = {.kind = PTE_BLOCK, .oa = 0x20000000, .accessed = true, .write = true, .global = true};
	check_roundtrip(h, 2, &b64, 0x20000401ull);
	struct pte t64 = {.kind = PTE_TABLE, .oa = 0x30000, .write = true, .user = true};
	check_roundtrip(h, 1, &t64, 0x30003ull);
}

static void geometry(void)
{
	/* x86-64 4-level: 9 bits a level from bit 39 down to 12. */
	const struct pt_format *f = &fmt_x86_64_4level;
	uint64_t va = (5ull << 39) | (6ull << 30) | (7ull << 21) | (8ull << 12) | 0x123;
	CHECK_EQ(pt_index(f, 0, va), 5);
	CHECK_EQ(pt_index(f, 1, va), 6);
	CHECK_EQ(pt_index(f, 2, va), 7);
	CHECK_EQ(pt_index(f, 3, va), 8);
	CHECK_EQ(pt_leaf_shift(f, 1), 30);
	CHECK_EQ(pt_leaf_shift(f, 2), 21);
	CHECK_EQ(pt_table_bytes(f, 0), 4096);
	CHECK_STR(pt_level_info(f, 0)->name, "PML4");
	CHECK_STR(pt_level_info(f, 2)->linux_name, "pmd");
	CHECK(!pt_level_info(f, 0)->block_ok && pt_level_info(f, 1)->block_ok);
	CHECK(pt_level_info(f, -1) == NULL);

	/* LA57 adds PML5 (level -1) indexed by bits 56:48. */
	const struct pt_format *f5 = &fmt_x86_64_5level;
	CHECK_EQ(f5->va_bits, 57);
	CHECK_EQ(pt_index(f5, -1, (3ull << 48) | va), 3);
	CHECK_EQ(pt_index(f5, 0, va), 5);
	CHECK_STR(pt_level_info(f5, -1)->name, "PML5");
	CHECK_STR(pt_level_info(f5, 0)->linux_name, "p4d");

	/* AArch64 16K: L0 is bit 47 alone (two entries), then 11 bits a level. */
	const struct pt_format *g = &fmt_aarch64_16k;
	uint64_t v16 = (1ull << 47) | (0x7FFull << 36) | (3ull << 25) | (4ull << 14) | 0x3FFF;
	CHECK_EQ(pt_index(g, 0, v16), 1);
	CHECK_EQ(pt_index(g, 1, v16), 0x7FF);
	CHECK_EQ(pt_index(g, 2, v16), 3);
	CHECK_EQ(pt_index(g, 3, v16), 4);
	CHECK_EQ(pt_table_bytes(g, 0), 16);
	CHECK_EQ(pt_table_bytes(g, 1), 16384);
	CHECK_EQ(pt_leaf_shift(g, 2), 25);
	CHECK(!pt_level_info(g, 1)->block_ok && pt_level_info(g, 2)->block_ok);
	CHECK_EQ(pt_level_info(g, 3)->contig_entries, 128);
	CHECK_EQ(pt_level_info(g, 2)->contig_entries, 32);

	/* AArch64 64K: the walk starts at L1 (bits 47:42), then 13 bits a level. */
	const struct pt_format *h = &fmt_aarch64_64k;
	uint64_t v64 = (0x2Aull << 42) | (0x1ABCull << 29) | (0x55ull << 16);
	CHECK_EQ(h->top_level, 1);
	CHECK_EQ(pt_index(h, 1, v64), 0x2A);
	CHECK_EQ(pt_index(h, 2, v64), 0x1ABC);
	CHECK_EQ(pt_index(h, 3, v64), 0x55);
	CHECK_EQ(pt_table_bytes(h, 1), 512);
	CHECK_EQ(pt_table_bytes(h, 2), 65536);
	CHECK_EQ(pt_leaf_shift(h, 2), 29);
	CHECK(pt_level_info(h, 0) == NULL);

	/* 4K granule contiguous runs are 16 entries at every level. */
	CHECK_EQ(pt_level_info(&fmt_aarch64_4k, 3)->contig_entries, 16);

	CHECK(pt_format_by_id("x86-64/4") == &fmt_x86_64_4level);
	CHECK(pt_format_by_id("aarch64/64k") == &fmt_aarch64_64k);
	CHECK(pt_format_by_id("riscv/sv39") == NULL);
}

/* The explanatory field tables cover the architecture's bits without overlap. */
static void field_tables(void)
{
	const struct pt_format *fs[] = {&fmt_x86_64_4level, &fmt_aarch64_4k};
	for (int i = 0; i < 2; i++) {
		uint64_t table = 0, leaf = 0;
		bool overlap = false;
		for (const struct pte_field *fl = fs[i]->fields; fl->name; fl++) {
			uint64_t mask = (fl->width == 64 ? ~0ull : ((1ull << fl->width) - 1)) << fl->lo;
			if (fl->where & PTF_TABLE) {
				overlap |= (table & mask) != 0;
				table |= mask;
			}
			if (fl->where & PTF_LEAF) {
				overlap |= (leaf & mask) != 0;
				leaf |= mask;
			}
		}
		CHECK(!overlap);
		CHECK(leaf & 1);
	}
	/* x86: XD is bit 63 and PK 62:59. */
	bool saw_xd = false, saw_pk = false;
	for (const struct pte_field *fl = fmt_x86_64_4level.fields; fl->name; fl++) {
		saw_xd |= !strcmp(fl->name, "XD") && fl->lo == 63;
		saw_pk |= !strcmp(fl->name, "PK") && fl->lo == 59 && fl->width == 4;
	}
	CHECK(saw_xd && saw_pk);
}

static void descriptions(void)
{
	char buf[200];
	pte_describe(&fmt_x86_64_4level, 3, 0xA800000012345167ull, buf, sizeof buf);
	CHECK(strstr(buf, "RW") && strstr(buf, "US") && strstr(buf, " A") && strstr(buf, " D") && strstr(buf, "NX") &&
	      strstr(buf, "PK=5") && strstr(buf, "0x12345000"));
	pte_describe(&fmt_aarch64_4k, 3, 0x0060000040001F53ull, buf, sizeof buf);
	CHECK(strstr(buf, "AP=01") && strstr(buf, "AF") && strstr(buf, "nG") && strstr(buf, "UXN") &&
	      strstr(buf, "0x40001000"));
	pte_describe(&fmt_aarch64_4k, 1, 0x4000000000005003ull, buf, sizeof buf);
	CHECK(strstr(buf, "table") && strstr(buf, "APTable[1]"));
	pte_describe(&fmt_x86_64_4level, 3, 0, buf, sizeof buf);
	CHECK_STR(buf, "not present");
}

int main(void)
{
	x86_encodings();
	a64_encodings();
	geometry();
	field_tables();
	descriptions();
	return check_report("test_format");
}
