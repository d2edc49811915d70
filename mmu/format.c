/* Page-table formats with the architecture manuals' bit layouts.
 *
 * x86-64: Intel SDM Vol. 3A, 4.5 (4-level and 5-level paging), tables 4-14
 * to 4-20. AArch64: Arm ARM D8.3 (VMSAv8-64 translation table descriptor
 * formats), stage 1, 48-bit VA. */
#include "mmu/mmu.h"

#include <stdio.h>
#include <string.h>

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* ---- x86-64 ---------------------------------------------------------- */
#define X86_P    BIT(0)
#define X86_RW   BIT(1)
#define X86_US   BIT(2)
#define X86_PWT  BIT(3)
#define X86_PCD  BIT(4)
#define X86_A    BIT(5)
#define X86_D    BIT(6)
#define X86_PS   BIT(7)  /* in a PDPTE/PDE; PAT in a PTE */
#define X86_G    BIT(8)
#define X86_SW_SHIFT 9   /* bits 11:9 ignored by hardware, free for software */
#define X86_PAT_HUGE BIT(12)
#define X86_PK_SHIFT 59  /* bits 62:59 */
#define X86_XD   BIT(63)
#define X86_ADDR MASK(51, 12)

static const struct pte_field x86_fields[] = {
	{"P", 0, 1, PTF_TABLE | PTF_LEAF, "present"},
	{"R/W", 1, 1, PTF_TABLE | PTF_LEAF, "writes allowed (for this entry's whole region)"},
	{"U/S", 2, 1, PTF_TABLE | PTF_LEAF, "user-mode accesses allowed"},
	{"PWT", 3, 1, PTF_TABLE | PTF_LEAF, "page-level write-through"},
	{"PCD", 4, 1, PTF_TABLE | PTF_LEAF, "page-level cache disable"},
	{"A", 5, 1, PTF_TABLE | PTF_LEAF, "accessed: set by the walker"},
	{"D", 6, 1, PTF_LEAF, "dirty: set by the walker on the first write"},
	{"PS/PAT", 7, 1, PTF_TABLE | PTF_LEAF, "page size in a PDPTE/PDE (1 GiB/2 MiB leaf); PAT in a PTE"},
	{"G", 8, 1, PTF_LEAF, "global: survives a CR3 switch"},
	{"AVL", 9, 3, PTF_TABLE | PTF_LEAF, "ignored, for software"},
	{"ADDR", 12, 40, PTF_TABLE | PTF_LEAF, "physical address bits 51:12 (huge leaves: PAT at bit 12)"},
	{"PK", 59, 4, PTF_LEAF, "protection key (with CR4.PKE)"},
	{"XD", 63, 1, PTF_TABLE | PTF_LEAF, "execute disable (with EFER.NXE)"},
	{NULL, 0, 0, 0, NULL},
};

/* ---- AArch64 stage 1 -------------------------------------------------- */
#define A64_VALID    BIT(0)
#define A64_TYPE     BIT(1)   /* table (levels 0-2) or page (level 3) */
#define A64_ATTR_SHIFT 2      /* AttrIndx[2:0] */
#define A64_NS       BIT(5)
#define A64_AP1      BIT(6)   /* EL0 access */
#define A64_AP2      BIT(7)   /* read-only */
#define A64_SH_SHIFT 8
#define A64_AF       BIT(10)
#define A64_NG       BIT(11)
#define A64_DBM      BIT(51)
#define A64_CONT     BIT(52)
#define A64_PXN      BIT(53)
#define A64_UXN      BIT(54)
#define A64_SW_SHIFT 55       /* bits 58:55 reserved for software */
#define A64_PXNTABLE BIT(59)
#define A64_UXNTABLE BIT(60)
#define A64_APTABLE0 BIT(61)  /* no EL0 access below */
#define A64_APTABLE1 BIT(62)  /* no writes below */
#define A64_NSTABLE  BIT(63)

static const struct pte_field a64_fields[] = {
	{"V", 0, 1, PTF_TABLE | PTF_LEAF, "valid"},
	{"T", 1, 1, PTF_TABLE | PTF_LEAF, "table (levels 0-2) or page (level 3); 0 = block"},
	{"AttrIndx", 2, 3, PTF_LEAF, "index into MAIR_EL1"},
	{"NS", 5, 1, PTF_LEAF, "non-secure"},
	{"AP[2:1]", 6, 2, PTF_LEAF, "AP[1]: EL0 access; AP[2]: read-only"},
	{"SH", 8, 2, PTF_LEAF, "shareability"},
	{"AF", 10, 1, PTF_LEAF, "access flag: 0 faults unless hardware AF is on"},
	{"nG", 11, 1, PTF_LEAF, "not global: tagged with the ASID"},
	{"OA", 12, 36, PTF_TABLE | PTF_LEAF, "output address bits 47:granule"},
	{"DBM", 51, 1, PTF_LEAF, "dirty bit modifier: hardware may clear AP[2] on a write"},
	{"Contig", 52, 1, PTF_LEAF, "contiguous hint: one TLB entry for an aligned run"},
	{"PXN", 53, 1, PTF_LEAF, "privileged execute never"},
	{"UXN", 54, 1, PTF_LEAF, "unprivileged (EL0) execute never"},
	{"SW", 55, 4, PTF_LEAF, "reserved for software"},
	{"PXNTable", 59, 1, PTF_TABLE, "privileged execute never below"},
	{"UXNTable", 60, 1, PTF_TABLE, "EL0 execute never below"},
	{"APTable", 61, 2, PTF_TABLE, "bit 61: no EL0 access below; bit 62: read-only below"},
	{"NSTable", 63, 1, PTF_TABLE, "non-secure below"},
	{NULL, 0, 0, 0, NULL},
};

/* ---- The formats ------------------------------------------------------ */
const struct pt_format fmt_x86_64_4level = {
	.name = "x86-64 4-level paging", .id = "x86-64/4", .arch = ARCH_X86_64,
	.page_shift = 12, .va_bits = 48, .top_level = 0,
	.level = {
		{"PML4", "pgd", 39, 9, false, 1},
		{"PDPT", "pud", 30, 9, true, 1},
		{"PD", "pmd", 21, 9, true, 1},
		{"PT", "pte", 12, 9, true, 1},
	},
	.fields = x86_fields,
};

const struct pt_format fmt_x86_64_5level = {
	.name = "x86-64 5-level paging (LA57)", .id = "x86-64/5", .arch = ARCH_X86_64,
	.page_shift = 12, .va_bits = 57, .top_level = -1,
	.level = {
		{"PML5", "pgd", 48, 9, false, 1},
		{"PML4", "p4d", 39, 9, false, 1},
		{"PDPT", "pud", 30, 9, true, 1},
		{"PD", "pmd", 21, 9, true, 1},
		{"PT", "pte", 12, 9, true, 1},
	},
	.fields = x86_fields,
};

/* Contiguous-hint run lengths: Arm ARM D8.6.1 (4K: 16 at every level;
 * 16K: 128 at level 3, 32 at level 2; 64K: 32 at levels 2 and 3). Blocks:
 * 4K at levels 1 and 2; 16K and 64K at level 2 only (without FEAT_LPA2/LPA). */
const struct pt_format fmt_aarch64_4k = {
	.name = "AArch64 4 KiB granule, 48-bit VA", .id = "aarch64/4k", .arch = ARCH_AARCH64,
	.page_shift = 12, .va_bits = 48, .top_level = 0,
	.level = {
		{"L0", "pgd", 39, 9, false, 1},
		{"L1", "pud", 30, 9, true, 16},
		{"L2", "pmd", 21, 9, true, 16},
		{"L3", "pte", 12, 9, true, 16},
	},
	.fields = a64_fields,
};

const struct pt_format fmt_aarch64_16k = {
	.name = "AArch64 16 KiB granule, 48-bit VA", .id = "aarch64/16k", .arch = ARCH_AARCH64,
	.page_shift = 14, .va_bits = 48, .top_level = 0,
	.level = {
		{"L0", "pgd", 47, 1, false, 1},
		{"L1", "pud", 36, 11, false, 1},
		{"L2", "pmd", 25, 11, true, 32},
		{"L3", "pte", 14, 11, true, 128},
	},
	.fields = a64_fields,
};

const struct pt_format fmt_aarch64_64k = {
	.name = "AArch64 64 KiB granule, 48-bit VA", .id = "aarch64/64k", .arch = ARCH_AARCH64,
	.page_shift = 16, .va_bits = 48, .top_level = 1,
	.level = {
		{"L1", "pgd", 42, 6, false, 1},
		{"L2", "pmd", 29, 13, true, 32},
		{"L3", "pte", 16, 13, true, 32},
	},
	.fields = a64_fields,
};

static const struct pt_format *const all_formats[] = {
	&fmt_x86_64_4level, &fmt_x86_64_5level, &fmt_aarch64_4k, &fmt_aarch64_16k, &fmt_aarch64_64k,
};

static const char *const arch_names[] = {[ARCH_X86_64] = "x86-64", [ARCH_AARCH64] = "aarch64"};

const char *mmu_arch_name(enum mmu_arch a)
{
	return arch_names[a];
}

bool mmu_arch_by_name(const char *name, enum mmu_arch *a)
{
	for (size_t i = 0; i < sizeof arch_names / sizeof arch_names[0]; i++)
		if (!strcmp(arch_names[i], name)) {
			*a = (enum mmu_arch)i;
			return true;
		}
	return false;
}

const struct pt_format *pt_format_by_id(const char *id)
{
	for (size_t i = 0; i < sizeof all_formats / sizeof all_formats[0]; i++)
		if (strcmp(all_formats[i]->id, id) == 0)
			return all_formats[i];
	return NULL;
}

const struct pt_level *pt_level_info(const struct pt_format *f, int level)
{
	if (level < f->top_level || level > PT_LEVEL_LEAF)
		return NULL;
	return &f->level[level - f->top_level];
}

unsigned pt_index(const struct pt_format *f, int level, uint64_t va)
{
	const struct pt_level *l = &f->level[level - f->top_level];
	return (unsigned)((va >> l->va_shift) & ((1u << l->index_bits) - 1));
}

uint64_t pt_table_bytes(const struct pt_format *f, int level)
{
	return 8ull << f->level[level - f->top_level].index_bits;
}

unsigned pt_leaf_shift(const struct pt_format *f, int level)
{
	return f->level[level - f->top_level].va_shift;
}

/* ---- Encode / decode -------------------------------------------------- */
static uint64_t x86_encode(int level, const struct pte *p)
{
	if (p->kind == PTE_INVALID)
		return 0;
	uint64_t v = X86_P | (p->oa & X86_ADDR);
	v |= p->write ? X86_RW : 0;
	v |= p->user ? X86_US : 0;
	v |= p->pwt ? X86_PWT : 0;
	v |= p->pcd ? X86_PCD : 0;
	v |= p->accessed ? X86_A : 0;
	v |= p->dirty ? X86_D : 0;
	v |= (uint64_t)(p->sw & 7) << X86_SW_SHIFT;
	v |= p->nx ? X86_XD : 0;
	if (p->kind == PTE_BLOCK)
		v |= X86_PS | (p->pat ? X86_PAT_HUGE : 0);
	if (p->kind == PTE_PAGE && level == PT_LEVEL_LEAF)
		v |= p->pat ? X86_PS : 0; /* bit 7 is PAT in a PTE */
	if (p->kind == PTE_BLOCK || p->kind == PTE_PAGE) {
		v |= p->global ? X86_G : 0;
		v |= (uint64_t)(p->pkey & 15) << X86_PK_SHIFT;
	}
	return v;
}

static struct pte x86_decode(const struct pt_format *f, int level, uint64_t raw)
{
	struct pte p = {0};
	if (!(raw & X86_P))
		return p;
	p.write = raw & X86_RW;
	p.user = raw & X86_US;
	p.pwt = raw & X86_PWT;
	p.pcd = raw & X86_PCD;
	p.accessed = raw & X86_A;
	p.dirty = raw & X86_D;
	p.nx = raw & X86_XD;
	p.sw = (raw >> X86_SW_SHIFT) & 7;
	if (level == PT_LEVEL_LEAF) {
		p.kind = PTE_PAGE;
		p.pat = raw & X86_PS;
		p.oa = raw & X86_ADDR;
	} else if ((raw & X86_PS) && pt_level_info(f, level)->block_ok) {
		p.kind = PTE_BLOCK;
		p.pat = raw & X86_PAT_HUGE;
		p.oa = raw & MASK(51, pt_leaf_shift(f, level));
	} else {
		p.kind = PTE_TABLE; /* PS=1 in a PML4E/PML5E is a reserved-bit fault for the walker */
		p.oa = raw & X86_ADDR;
		return p;
	}
	p.global = raw & X86_G;
	p.pkey = (raw >> X86_PK_SHIFT) & 15;
	return p;
}

static uint64_t a64_encode(const struct pt_format *f, int level, const struct pte *p)
{
	if (p->kind == PTE_INVALID)
		return 0;
	uint64_t oa_mask = MASK(47, f->page_shift);
	if (p->kind == PTE_TABLE) {
		uint64_t v = A64_VALID | A64_TYPE | (p->oa & oa_mask);
		v |= p->write ? 0 : A64_APTABLE1;
		v |= p->user ? 0 : A64_APTABLE0;
		v |= p->nx ? A64_UXNTABLE : 0;
		v |= p->pxn ? A64_PXNTABLE : 0;
		v |= p->ns ? A64_NSTABLE : 0;
		return v;
	}
	uint64_t v = A64_VALID | (p->kind == PTE_PAGE ? A64_TYPE : 0);
	v |= p->oa & MASK(47, pt_leaf_shift(f, level));
	v |= (uint64_t)(p->attr_idx & 7) << A64_ATTR_SHIFT;
	v |= p->ns ? A64_NS : 0;
	v |= p->user ? A64_AP1 : 0;
	v |= p->write ? 0 : A64_AP2;
	v |= (uint64_t)(p->sh & 3) << A64_SH_SHIFT;
	v |= p->accessed ? A64_AF : 0;
	v |= p->global ? 0 : A64_NG;
	v |= p->dbm ? A64_DBM : 0;
	v |= p->contig ? A64_CONT : 0;
	v |= p->pxn ? A64_PXN : 0;
	v |= p->nx ? A64_UXN : 0;
	v |= (uint64_t)(p->sw & 15) << A64_SW_SHIFT;
	return v;
}

static struct pte a64_decode(const struct pt_format *f, int level, uint64_t raw)
{
	struct pte p = {0};
	if (!(raw & A64_VALID))
		return p;
	bool type = raw & A64_TYPE;
	if (level == PT_LEVEL_LEAF && !type)
		return p; /* 0b01 at level 3 is reserved and behaves as invalid */
	if (level < PT_LEVEL_LEAF && type) {
		p.kind = PTE_TABLE;
		p.oa = raw & MASK(47, f->page_shift);
		p.write = !(raw & A64_APTABLE1);
		p.user = !(raw & A64_APTABLE0);
		p.nx = raw & A64_UXNTABLE;
		p.pxn = raw & A64_PXNTABLE;
		p.ns = raw & A64_NSTABLE;
		return p;
	}
	p.kind = type ? PTE_PAGE : PTE_BLOCK;
	p.oa = raw & MASK(47, pt_leaf_shift(f, level));
	p.attr_idx = (raw >> A64_ATTR_SHIFT) & 7;
	p.ns = raw & A64_NS;
	p.user = raw & A64_AP1;
	p.write = !(raw & A64_AP2);
	p.sh = (raw >> A64_SH_SHIFT) & 3;
	p.accessed = raw & A64_AF;
	p.global = !(raw & A64_NG);
	p.dbm = raw & A64_DBM;
	p.contig = raw & A64_CONT;
	p.pxn = raw & A64_PXN;
	p.nx = raw & A64_UXN;
	p.sw = (raw >> A64_SW_SHIFT) & 15;
	return p;
}

uint64_t pte_encode(const struct pt_format *f, int level, const struct pte *p)
{
	return f->arch == ARCH_X86_64 ? x86_encode(level, p) : a64_encode(f, level, p);
}

struct pte pte_decode(const struct pt_format *f, int level, uint64_t raw)
{
	return f->arch == ARCH_X86_64 ? x86_decode(f, level, raw) : a64_decode(f, level, raw);
}

static const char *kind_name(enum pte_kind k)
{
	static const char *const names[] = {"invalid", "table", "block", "page"};
	return names[k];
}

int pte_describe(const struct pt_format *f, int level, uint64_t raw, char *buf, size_t len)
{
	struct pte p = pte_decode(f, level, raw);
	if (p.kind == PTE_INVALID && level == PT_LEVEL_LEAF && pte_is_swap(f, raw)) {
		unsigned type;
		uint64_t offset;
		pte_swap_decode(f, raw, &type, &offset);
		return snprintf(buf, len, "swap entry type %u offset 0x%llx", type, (unsigned long long)offset);
	}
	if (p.kind == PTE_INVALID && level == PT_LEVEL_LEAF && pte_is_protnone(f, raw)) {
		uint64_t present = pte_from_protnone(f, raw);
		char was[160];
		pte_describe(f, level, present, was, sizeof was);
		return snprintf(buf, len, "PROT_NONE -> 0x%llx; restores as: %s",
				(unsigned long long)pte_decode(f, level, present).oa, was);
	}
	if (p.kind == PTE_INVALID)
		return snprintf(buf, len, "%s", raw ? "not present (software bits set)" : "not present");
	if (f->arch == ARCH_X86_64) {
		int n = snprintf(buf, len, "%s P%s%s%s%s%s%s%s%s%s", kind_name(p.kind),
				 p.write ? " RW" : " RO", p.user ? " US" : " S", p.pwt ? " PWT" : "",
				 p.pcd ? " PCD" : "", p.accessed ? " A" : "", p.dirty ? " D" : "",
				 p.kind == PTE_BLOCK ? " PS" : "", p.global ? " G" : "", p.nx ? " NX" : "");
		if (p.pkey && n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, " PK=%u", p.pkey);
		if (n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, " -> 0x%llx", (unsigned long long)p.oa);
		return n;
	}
	if (p.kind == PTE_TABLE)
		return snprintf(buf, len, "table%s%s%s%s -> 0x%llx", p.write ? "" : " APTable[1]",
				p.user ? "" : " APTable[0]", p.nx ? " UXNTable" : "",
				p.pxn ? " PXNTable" : "", (unsigned long long)p.oa);
	static const char *const ap[] = {"EL1 RW", "EL0+EL1 RW", "EL1 RO", "EL0+EL1 RO"};
	unsigned apv = (p.user ? 1u : 0u) | (p.write ? 0u : 2u);
	return snprintf(buf, len, "%s AP=%u%u(%s)%s%s%s%s%s%s AttrIndx=%u SH=%u -> 0x%llx", kind_name(p.kind),
			apv >> 1, apv & 1, ap[apv], p.accessed ? " AF" : "", p.global ? "" : " nG",
			p.dbm ? " DBM" : "", p.contig ? " Contig" : "", p.pxn ? " PXN" : "",
			p.nx ? " UXN" : "", p.attr_idx, p.sh, (unsigned long long)p.oa);
}

/* ---- Building tables --------------------------------------------------- */
uint64_t pt_entry_addr(struct physmem *pm, const struct pt_format *f, uint64_t root_pa, uint64_t va,
		       int level, const struct pt_builder *b)
{
	uint64_t table = root_pa;
	for (int l = f->top_level;; l++) {
		uint64_t entry = table + 8ull * pt_index(f, l, va);
		if (!physmem_ptr(pm, entry, 8))
			return PT_NO_MEMORY;
		if (l == level)
			return entry;
		uint64_t raw = physmem_read64(pm, entry);
		struct pte p = pte_decode(f, l, raw);
		if (p.kind == PTE_BLOCK)
			return PT_NO_MEMORY; /* a leaf sits above the level asked for */
		if (p.kind == PTE_INVALID) {
			if (!b || !b->alloc)
				return PT_NO_MEMORY;
			uint64_t next = b->alloc(b->ctx, l + 1);
			if (next == PT_NO_MEMORY)
				return PT_NO_MEMORY;
			struct pte link = b->table;
			link.kind = PTE_TABLE;
			link.oa = next;
			uint64_t val = pte_encode(f, l, &link);
			physmem_write64(pm, entry, val);
			if (b->linked)
				b->linked(b->ctx, l, va, (ptep_t){entry}, (pte_t){raw}, (pte_t){val});
			p.oa = next;
		}
		table = p.oa;
	}
}

uint64_t pt_map(struct physmem *pm, const struct pt_format *f, uint64_t root_pa, uint64_t va, int level,
		const struct pte *leaf, const struct pt_builder *b)
{
	uint64_t entry = pt_entry_addr(pm, f, root_pa, va, level, b);
	if (entry != PT_NO_MEMORY)
		physmem_write64(pm, entry, pte_encode(f, level, leaf));
	return entry;
}

/* ==== Non-present entries in Linux's encodings (see mmu.h) ============== */
/* x86-64, arch/x86/include/asm/pgtable_64.h (L1TF-hardened since 4.19):
 *   #define SWP_TYPE_BITS        5
 *   #define SWP_OFFSET_FIRST_BIT (_PAGE_BIT_PROTNONE + 1)                 -> 9
 *   #define SWP_OFFSET_SHIFT     (SWP_OFFSET_FIRST_BIT+SWP_TYPE_BITS)      -> 14
 *   __swp_type(x)   ((x).val >> (64 - SWP_TYPE_BITS))
 *   __swp_offset(x) (~(x).val << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT)
 *   __swp_entry(type, offset) (~(offset) << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS)
 *                              | ((type) << (64 - SWP_TYPE_BITS))
 * _PAGE_BIT_PROTNONE is _PAGE_BIT_GLOBAL (8); pte_protnone() is
 * (flags & (_PAGE_PROTNONE | _PAGE_PRESENT)) == _PAGE_PROTNONE. A non-zero
 * entry without _PAGE_PRESENT has its PFN inverted (pgtable-invert.h:
 * __pte_needs_invert, flip_protnone_guard with PTE_PFN_MASK = bits 51:12,
 * applied by pte_modify when an entry goes to or from PAGE_NONE).
 *
 * arm64, arch/arm64/include/asm/pgtable.h (since 5.19 "support
 * __HAVE_ARCH_PTE_SWP_EXCLUSIVE"; checked against a 6.6-based tree):
 *   bits 0-1 present (must be zero), bit 2 PG_anon_exclusive, bits 3-7 swap
 *   type, bits 8-57 swap offset, bit 58 PTE_PROT_NONE (must be zero);
 *   __SWP_TYPE_SHIFT 3, __SWP_TYPE_BITS 5, __SWP_OFFSET_BITS 50,
 *   __SWP_OFFSET_SHIFT (__SWP_TYPE_BITS + __SWP_TYPE_SHIFT) = 8.
 * pte_protnone() is (val & (PTE_VALID | PTE_PROT_NONE)) == PTE_PROT_NONE and
 * pte_present() is val & (PTE_VALID | PTE_PROT_NONE). */
#define SWP_TYPE_BITS        5
#define SWP_OFFSET_BITS      50
#define SWP_OFFSET_MASK      ((1ull << SWP_OFFSET_BITS) - 1)
#define X86_PROTNONE         X86_G
#define X86_SWP_OFFSET_SHIFT 14
#define A64_PROT_NONE        BIT(58)
#define A64_SWP_TYPE_SHIFT   3
#define A64_SWP_OFFSET_SHIFT 8

uint64_t pte_swap_max_offset(const struct pt_format *f)
{
	(void)f; /* 50 bits on both architectures */
	return SWP_OFFSET_MASK;
}

uint64_t pte_encode_swap(const struct pt_format *f, unsigned type, uint64_t offset)
{
	uint64_t t = type & (PTE_SWAP_TYPES - 1), off = offset & SWP_OFFSET_MASK;
	if (f->arch == ARCH_X86_64)
		return (~off << X86_SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) | (t << (64 - SWP_TYPE_BITS));
	return (t << A64_SWP_TYPE_SHIFT) | (off << A64_SWP_OFFSET_SHIFT);
}

bool pte_is_swap(const struct pt_format *f, uint64_t raw)
{
	uint64_t present = f->arch == ARCH_X86_64 ? X86_P | X86_PROTNONE : A64_VALID | A64_PROT_NONE;
	return raw != 0 && !(raw & present);
}

void pte_swap_decode(const struct pt_format *f, uint64_t raw, unsigned *type, uint64_t *offset)
{
	if (f->arch == ARCH_X86_64) {
		*type = (unsigned)(raw >> (64 - SWP_TYPE_BITS));
		*offset = ~raw << SWP_TYPE_BITS >> X86_SWP_OFFSET_SHIFT;
	} else {
		*type = (unsigned)(raw >> A64_SWP_TYPE_SHIFT) & (PTE_SWAP_TYPES - 1);
		*offset = (raw >> A64_SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK;
	}
}

bool pte_is_protnone(const struct pt_format *f, uint64_t raw)
{
	if (f->arch == ARCH_X86_64)
		return (raw & (X86_P | X86_PROTNONE)) == X86_PROTNONE;
	return (raw & (A64_VALID | A64_PROT_NONE)) == A64_PROT_NONE;
}

uint64_t pte_make_protnone(const struct pt_format *f, uint64_t present_raw)
{
	if (f->arch == ARCH_X86_64) {
		if (!(present_raw & X86_P))
			return present_raw;
		/* Present -> non-present: flip_protnone_guard inverts the PFN. */
		return ((present_raw & ~X86_P) | X86_PROTNONE) ^ X86_ADDR;
	}
	if (!(present_raw & A64_VALID))
		return present_raw;
	return (present_raw & ~A64_VALID) | A64_PROT_NONE;
}

uint64_t pte_from_protnone(const struct pt_format *f, uint64_t raw)
{
	if (!pte_is_protnone(f, raw))
		return raw;
	if (f->arch == ARCH_X86_64)
		return ((raw | X86_P) & ~X86_PROTNONE) ^ X86_ADDR;
	return (raw | A64_VALID) & ~A64_PROT_NONE;
}
