/* Non-present leaf entries in Linux's encodings: swap entries and PROT_NONE
 * entries on x86-64 (L1TF-inverted) and arm64, bit-exact against values
 * worked out by hand from the kernel's macros, their classification, their
 * description, and that the walker faults on them as on any not-present
 * entry. */

#include "tests/check.h"
#include "tests/testlib.h"

static const struct pt_format *const x86 = &fmt_x86_64_4level;
static const struct pt_format *const a64 = &fmt_aarch64_4k;

static const struct pt_format *const formats[] = {
	&fmt_x86_64_4level, &fmt_x86_64_5level, &fmt_aarch64_4k, &fmt_aarch64_16k, &fmt_aarch64_64k,
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static void check_swap(const struct pt_format *f, unsigned type, uint64_t offset, uint64_t expect)
{
	uint64_t raw = pte_encode_swap(f, type, offset);
	CHECK_EQ(raw, expect);
	unsigned t = 99;
	uint64_t o = 0;
	pte_swap_decode(f, raw, &t, &o);
	CHECK_EQ(t, type);
	CHECK_EQ(o, offset);
	CHECK_EQ(pte_decode(f, PT_LEVEL_LEAF, raw).kind, PTE_INVALID);
	CHECK(!pte_is_protnone(f, raw));
	CHECK_EQ(pte_is_swap(f, raw), raw != 0);
}

static void swap_literals(void)
{
	/* x86-64: type in 63:59, ~offset in 58:9, bits 8:0 zero.
	 * (0, 0): bits 58:9 all ones = 2^59 - 2^9. */
	check_swap(x86, 0, 0, 0x07FFFFFFFFFFFE00ull);
	/* (1, 0x1234): 1 << 59, and 0x1234 << 9 = 0x246800 cleared from the ones. */
	check_swap(x86, 1, 0x1234, 0x0800000000000000ull | (0x07FFFFFFFFFFFE00ull - 0x246800ull));
	CHECK_EQ(pte_encode_swap(x86, 1, 0x1234), 0x0FFFFFFFFFDB9600ull);
	/* (31, 1): 0xF8 << 56, bit 9 alone cleared. */
	check_swap(x86, 31, 1, 0xFFFFFFFFFFFFFC00ull);
	/* (5, max): the offset's ones invert to zeros, only the type is left. */
	check_swap(x86, 5, (1ull << 50) - 1, 0x2800000000000000ull);
	/* (0, max) is all zero: indistinguishable from an empty entry, as in Linux. */
	check_swap(x86, 0, (1ull << 50) - 1, 0);
	CHECK(!pte_is_swap(x86, 0));
	/* The 5-level format uses the same PTE encoding. */
	CHECK_EQ(pte_encode_swap(&fmt_x86_64_5level, 1, 0x1234), 0x0FFFFFFFFFDB9600ull);

	/* arm64: type in 7:3, offset in 57:8, bits 2:0 and 58 zero. */
	check_swap(a64, 0, 0, 0);   /* = pte_none; offset 0 is a swap header, never stored */
	check_swap(a64, 1, 0x1234, 0x123408ull);
	check_swap(a64, 0, 1, 0x100ull);
	check_swap(a64, 31, (1ull << 50) - 1, 0x03FFFFFFFFFFFFF8ull);
	check_swap(a64, 7, 0xABCDE, 0xABCDE38ull);
	/* Granule does not matter. */
	CHECK_EQ(pte_encode_swap(&fmt_aarch64_16k, 1, 0x1234), 0x123408ull);
	CHECK_EQ(pte_encode_swap(&fmt_aarch64_64k, 1, 0x1234), 0x123408ull);

	for (size_t i = 0; i < NFORMATS; i++)
		CHECK_EQ(pte_swap_max_offset(formats[i]), (1ull << 50) - 1);
	/* Out-of-range bits are dropped. */
	CHECK_EQ(pte_encode_swap(a64, 33, 0x1234), pte_encode_swap(a64, 1, 0x1234));
	CHECK_EQ(pte_encode_swap(x86, 1, (1ull << 50) | 0x1234), pte_encode_swap(x86, 1, 0x1234));
	/* Flag bits Linux keeps in swap entries (x86 SD/uffd-wp/exclusive in
	 * 3:1, arm64 exclusive in bit 2) do not disturb the fields. */
	unsigned t;
	uint64_t o;
	uint64_t xs = pte_encode_swap(x86, 3, 0x777) | 0xE;
	CHECK(pte_is_swap(x86, xs));
	pte_swap_decode(x86, xs, &t, &o);
	CHECK(t == 3 && o == 0x777);
	uint64_t as = pte_encode_swap(a64, 3, 0x777) | 0x4;
	CHECK(pte_is_swap(a64, as));
	pte_swap_decode(a64, as, &t, &o);
	CHECK(t == 3 && o == 0x777);
}

/* xorshift64*, fixed seed */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static void swap_roundtrip(void)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		const struct pt_format *f = formats[i];
		int bad = 0;
		for (int n = 0; n < 20000; n++) {
			unsigned type = (unsigned)(rnd() % PTE_SWAP_TYPES);
			/* Offsets of every magnitude, not just huge ones. */
			uint64_t offset = rnd() >> (rnd() % 64);
			offset &= pte_swap_max_offset(f);
			uint64_t raw = pte_encode_swap(f, type, offset);
			unsigned t;
			uint64_t o;
			pte_swap_decode(f, raw, &t, &o);
			bool present = f->arch == ARCH_X86_64 ? (raw & 0x101) != 0 : (raw & (1 | 1ull << 58)) != 0;
			if (t != type || o != offset || present || pte_is_protnone(f, raw) ||
			    pte_is_swap(f, raw) != (raw != 0) || pte_decode(f, PT_LEVEL_LEAF, raw).kind != PTE_INVALID)
				bad++;
			/* Bits outside the fields stay zero. */
			uint64_t fields = f->arch == ARCH_X86_64 ? ~0x1FFull : 0x03FFFFFFFFFFFFF8ull;
			if (raw & ~fields)
				bad++;
		}
		CHECK_EQ(bad, 0);
	}
}

static void check_protnone(const struct pt_format *f, uint64_t present, uint64_t expect)
{
	uint64_t pn = pte_make_protnone(f, present);
	CHECK_EQ(pn, expect);
	CHECK(pte_is_protnone(f, pn));
	CHECK(!pte_is_swap(f, pn));
	CHECK_EQ(pte_decode(f, PT_LEVEL_LEAF, pn).kind, PTE_INVALID);
	CHECK_EQ(pte_from_protnone(f, pn), present);
	CHECK(!pte_is_protnone(f, present));
	CHECK(!pte_is_swap(f, present));
}

static void protnone(void)
{
	/* x86: P RW US A D NX, frame 0x5000 (0x8000000000005067). P cleared,
	 * PROTNONE (bit 8) set, frame bits 51:12 inverted: 0x5 -> 0xFFFFFFFFFA. */
	check_protnone(x86, 0x8000000000005067ull, 0x800FFFFFFFFFA166ull);
	/* Read-only, not dirty, protection key 5, PAT: 0x2800000123456085. */
	check_protnone(x86, 0x2800000123456085ull, 0x280FFFFEDCBA9184ull);
	/* arm64: V T, AP[1] (0x40), SH=3 (0x300), AF (0x400), nG (0x800),
	 * PXN|UXN, oa 0x5000. V cleared, bit 58 set, nothing else. */
	check_protnone(a64, 0x0060000000005F43ull, 0x0460000000005F42ull);
	/* ... with DBM, contiguous and software bits 57:55. */
	check_protnone(a64, 0x03F8000040001FC3ull, 0x07F8000040001FC2ull);
	check_protnone(&fmt_aarch64_64k, 0x0060000040010F43ull, 0x0460000040010F42ull);

	/* Non-present input is returned as it is. */
	for (size_t i = 0; i < NFORMATS; i++) {
		const struct pt_format *f = formats[i];
		uint64_t s = pte_encode_swap(f, 2, 0x42);
		CHECK_EQ(pte_make_protnone(f, 0), 0);
		CHECK_EQ(pte_make_protnone(f, s), s);
		CHECK_EQ(pte_from_protnone(f, s), s);
		CHECK_EQ(pte_from_protnone(f, 0), 0);
		CHECK(!pte_is_swap(f, 0));
		CHECK(!pte_is_protnone(f, 0));
	}

	/* Round trip over random present leaves: every bit comes back; the
	 * PROT_NONE form differs exactly in P/valid, the marker and (x86) the
	 * inverted frame. */
	for (size_t i = 0; i < NFORMATS; i++) {
		const struct pt_format *f = formats[i];
		bool is_x86 = f->arch == ARCH_X86_64;
		int bad = 0;
		for (int n = 0; n < 20000; n++) {
			uint64_t raw = rnd();
			if (is_x86)
				raw = (raw | 1) & ~0x100ull;                  /* present, G clear (user) */
			else
				raw = (raw | 3) & ~(1ull << 58);              /* valid page, marker clear */
			uint64_t pn = pte_make_protnone(f, raw);
			uint64_t diff = is_x86 ? 0x000FFFFFFFFFF101ull : (1ull | 1ull << 58);
			if ((pn ^ raw) != diff || !pte_is_protnone(f, pn) || pte_is_swap(f, pn) ||
			    pte_from_protnone(f, pn) != raw || pte_decode(f, PT_LEVEL_LEAF, pn).kind != PTE_INVALID ||
			    pte_decode(f, PT_LEVEL_LEAF, pte_from_protnone(f, pn)).oa != pte_decode(f, PT_LEVEL_LEAF, raw).oa)
				bad++;
		}
		CHECK_EQ(bad, 0);
	}
	/* x86: an entry with only bit 8 among P/bit 8 is PROT_NONE whatever else
	 * it holds; with P set it is an ordinary (global) present entry. */
	CHECK(pte_is_protnone(x86, 0x100));
	CHECK(!pte_is_protnone(x86, 0x101));
	CHECK(!pte_is_swap(x86, 0x100));
	CHECK(pte_is_swap(x86, 0x200));
	CHECK(pte_is_protnone(a64, 1ull << 58));
	CHECK(!pte_is_protnone(a64, (1ull << 58) | 3));
	CHECK(!pte_is_swap(a64, 1ull << 58));
	CHECK(pte_is_swap(a64, 0x2));   /* bit 1 alone: not valid, not PROT_NONE */
}

static void describe(void)
{
	char buf[200];
	pte_describe(x86, 3, pte_encode_swap(x86, 0, 0x1234), buf, sizeof buf);
	CHECK_STR(buf, "swap entry type 0 offset 0x1234");
	pte_describe(x86, 3, pte_encode_swap(x86, 31, 0x3ffffffffffffull), buf, sizeof buf);
	CHECK_STR(buf, "swap entry type 31 offset 0x3ffffffffffff");
	pte_describe(a64, 3, pte_encode_swap(a64, 2, 0xabc), buf, sizeof buf);
	CHECK_STR(buf, "swap entry type 2 offset 0xabc");

	pte_describe(x86, 3, 0x800FFFFFFFFFA166ull, buf, sizeof buf);
	CHECK_STR(buf, "PROT_NONE -> 0x5000; restores as: page P RW US A D NX -> 0x5000");
	pte_describe(a64, 3, 0x0460000000005F42ull, buf, sizeof buf);
	CHECK_STR(buf, "PROT_NONE -> 0x5000; restores as: page AP=01(EL0+EL1 RW) AF nG PXN UXN AttrIndx=0 SH=3 -> 0x5000");

	/* Zero stays "not present"; other non-present entries keep the old text. */
	pte_describe(x86, 3, 0, buf, sizeof buf);
	CHECK_STR(buf, "not present");
	pte_describe(a64, 3, 0, buf, sizeof buf);
	CHECK_STR(buf, "not present");
	/* Above the leaf level the special forms are not interpreted. */
	pte_describe(x86, 2, pte_encode_swap(x86, 0, 0x1234), buf, sizeof buf);
	CHECK_STR(buf, "not present (software bits set)");
	/* Present entries are described as before. */
	pte_describe(x86, 3, 0x8000000000005067ull, buf, sizeof buf);
	CHECK_STR(buf, "page P RW US A D NX -> 0x5000");
	/* A short buffer truncates like snprintf and reports the full length. */
	char small[10];
	int n = pte_describe(x86, 3, 0x800FFFFFFFFFA166ull, small, sizeof small);
	CHECK_EQ(n, strlen("PROT_NONE -> 0x5000; restores as: page P RW US A D NX -> 0x5000"));
	CHECK_STR(small, "PROT_NONE");
}

static struct mmu *new_mmu(struct tspace *s)
{
	struct mmu_config c = test_config(s->f, s->pm->size, 10);
	return tspace_mmu(s, &c, 1);
}

static void walks(void)
{
	const uint64_t VA = 0x00007f1234560000ull;
	for (size_t i = 0; i < NFORMATS; i++) {
		const struct pt_format *f = formats[i];
		bool is_x86 = f->arch == ARCH_X86_64;
		struct tspace s;
		tspace_init(&s, f, 64);
		struct mmu *m = new_mmu(&s);
		uint64_t frame = tspace_frame(&s);
		struct pte leaf = tspace_user_page(&s, frame, true, false);
		uint64_t entry = tspace_map(&s, VA, PT_LEVEL_LEAF, &leaf);
		uint64_t present = physmem_read64(s.pm, entry);
		struct mmu_xlate x;
		CHECK(mmu_access(m, VA, ACC_READ, true, &x));

		uint64_t nonpresent[] = {
			pte_encode_swap(f, 1, 0x1234),
			pte_encode_swap(f, 0, 0x1),
			pte_encode_swap(f, 31, pte_swap_max_offset(f) - 1),
			pte_make_protnone(f, present),
		};
		for (size_t k = 0; k < sizeof nonpresent / sizeof nonpresent[0]; k++) {
			physmem_write64(s.pm, entry, nonpresent[k]);
			mmu_flush_all(m);
			CHECK(!mmu_access(m, VA + 0x10, ACC_READ, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
			CHECK_EQ(x.fault.level, 3);
			CHECK_EQ(x.fault.syn.addr, VA + 0x10);
			CHECK_EQ(x.fault.syn.code, is_x86 ? 0x4 : 0x92000007ull);
			CHECK_EQ(x.walk.step[x.walk.nsteps - 1].raw, nonpresent[k]);
			CHECK(!mmu_access(m, VA, ACC_WRITE, true, &x));
			CHECK_EQ(x.fault.kind, FAULT_NOT_PRESENT);
			CHECK_EQ(x.fault.syn.code, is_x86 ? 0x6 : 0x92000047ull);
			/* The walker wrote nothing back (no A/D or AF on a non-present entry). */
			CHECK_EQ(physmem_read64(s.pm, entry), nonpresent[k]);
		}
		/* Restoring the PROT_NONE entry makes the page accessible again. */
		physmem_write64(s.pm, entry, pte_from_protnone(f, pte_make_protnone(f, present)));
		mmu_flush_all(m);
		CHECK(mmu_access(m, VA + 0x10, ACC_READ, true, &x));
		CHECK_EQ(x.pa, frame + 0x10);
		mmu_destroy(m);
		tspace_free(&s);
	}
}

int main(void)
{
	swap_literals();
	swap_roundtrip();
	protnone();
	describe();
	walks();
	return check_report("test_nonpresent");
}
