/* The page-table walker: reads descriptors out of physical memory level by
 * level, as the hardware does, and either produces a translation or a fault.
 *
 * Order of checks per level follows the manuals: an invalid entry is a
 * not-present (translation) fault; reserved bits (x86) or an output address
 * beyond the PA size (AArch64 address size fault) come next; on AArch64 the
 * access flag is checked at the leaf before permissions (Arm ARM
 * AArch64.S1Translate); permissions are accumulated over every level. */
#include "mmu/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* ---- Walk caches ------------------------------------------------------- */
bool wc_init(struct walk_cache *w, const struct walk_cache_config *c, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	if (c->entries == 0)
		return true;
	uint32_t ways = c->ways ? c->ways : c->entries;
	if (c->entries % ways || ((c->entries / ways) & (c->entries / ways - 1))) {
		snprintf(err, errlen, "walk cache: entries/ways must be a power of two");
		return false;
	}
	w->sets = c->entries / ways;
	w->ways = ways;
	w->latency = c->latency;
	w->e = calloc(c->entries, sizeof *w->e);
	if (!w->e) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	for (uint32_t i = 0; i < c->entries; i++)
		w->e[i].tag = TLB_NO_KEY;
	return true;
}

void wc_free(struct walk_cache *w)
{
	free(w->e);
	w->e = NULL;
}

static struct wc_entry *wc_set(struct walk_cache *w, uint64_t tag)
{
	return &w->e[(tag & (w->sets - 1)) * w->ways];
}

static struct wc_entry *wc_lookup(struct walk_cache *w, uint64_t tag, uint16_t asid)
{
	struct wc_entry *s = wc_set(w, tag);
	for (uint32_t i = 0; i < w->ways; i++)
		if (s[i].tag == tag && s[i].asid == asid) {
			s[i].stamp = ++w->tick;
			return &s[i];
		}
	return NULL;
}

static void wc_insert(struct walk_cache *w, uint64_t tag, uint16_t asid, uint64_t next, uint8_t acc)
{
	struct wc_entry *s = wc_set(w, tag), *victim = &s[0];
	for (uint32_t i = 0; i < w->ways; i++) {
		if (s[i].tag == tag && s[i].asid == asid) {
			victim = &s[i];
			break;
		}
		if (s[i].tag == TLB_NO_KEY) {
			if (victim->tag != TLB_NO_KEY)
				victim = &s[i];
		} else if (victim->tag != TLB_NO_KEY && s[i].stamp < victim->stamp) {
			victim = &s[i];
		}
	}
	*victim = (struct wc_entry){.tag = tag, .next = next, .stamp = ++w->tick, .asid = asid, .acc = acc};
}

/* scope 0: entries covering va for asid; 1: all of asid; 2: everything. */
uint32_t wc_flush(struct walk_cache *w, int scope, uint64_t va, unsigned shift, uint16_t asid)
{
	uint32_t n = 0;
	if (!w->e)
		return 0;
	/* One address: only its set can hold it. */
	struct wc_entry *first = scope == 0 ? wc_set(w, va >> shift) : w->e;
	uint32_t count = scope == 0 ? w->ways : w->sets * w->ways;
	for (uint32_t i = 0; i < count; i++) {
		struct wc_entry *e = &first[i];
		if (e->tag == TLB_NO_KEY)
			continue;
		if (scope == 2 || (e->asid == asid && (scope == 1 || e->tag == va >> shift))) {
			e->tag = TLB_NO_KEY;
			n++;
		}
	}
	return n;
}

/* ---- Rights ------------------------------------------------------------ */
static uint8_t a64_table_restrictions(const struct pte *t)
{
	return (t->write ? 0 : WC_NO_WRITE) | (t->user ? 0 : WC_NO_USER) | (t->nx ? WC_NO_UX : 0) |
	       (t->pxn ? WC_NO_PX : 0);
}

static uint8_t x86_table_restrictions(const struct pte *t)
{
	/* XD in any level forbids execution in both modes. */
	return (t->write ? 0 : WC_NO_WRITE) | (t->user ? 0 : WC_NO_USER) | (t->nx ? WC_NO_UX | WC_NO_PX : 0);
}

static void x86_rights(const struct pte *leaf, uint8_t acc, struct mmu_xlate *x)
{
	bool w = leaf->write && !(acc & WC_NO_WRITE);
	bool u = leaf->user && !(acc & WC_NO_USER);
	bool nx = leaf->nx || (acc & WC_NO_UX);
	/* CR0.WP=1: the kernel cannot write read-only pages either; SMEP/SMAP off. */
	x->perm_kernel = PERM_R | (w ? PERM_W : 0) | (nx ? 0 : PERM_X);
	x->perm_user = u ? (PERM_R | (w ? PERM_W : 0) | (nx ? 0 : PERM_X)) : 0;
	x->dirty = leaf->dirty;
	x->global = leaf->global;
}

static void a64_rights(const struct mmu *m, const struct pte *leaf, uint8_t acc, struct mmu_xlate *x)
{
	bool el0 = leaf->user;                      /* AP[1] */
	bool can_write = leaf->write || (leaf->dbm && m->cfg.hw_dbm);
	bool uw_base = el0 && leaf->write;           /* AP[2:1] = 01, before hierarchy */
	bool ur = el0 && !(acc & WC_NO_USER);
	bool w = can_write && !(acc & WC_NO_WRITE);
	/* EL0 execution depends on UXN only, not on AP[1] (Arm ARM D8.4). */
	bool ux = !leaf->nx && !(acc & WC_NO_UX);
	/* A page writable at EL0 is never executable at EL1 (implicit PXN). */
	bool px = !leaf->pxn && !(acc & WC_NO_PX) && !uw_base;
	x->perm_kernel = PERM_R | (w ? PERM_W : 0) | (px ? PERM_X : 0);
	x->perm_user = (ur ? PERM_R : 0) | (ur && w ? PERM_W : 0) | (ux ? PERM_X : 0);
	x->dirty = leaf->write;
	x->global = leaf->global;
}

static uint8_t access_bit(enum mmu_access a)
{
	return a == ACC_READ ? PERM_R : a == ACC_WRITE ? PERM_W : PERM_X;
}

/* x86: reserved bits that make a present entry fault with RSVD=1. */
static bool x86_reserved(const struct mmu *m, int level, uint64_t raw)
{
	if (raw & MASK(51, m->cfg.pa_bits))
		return true;
	if (!(raw & BIT(7)) || level == PT_LEVEL_LEAF)
		return false;
	if (!pt_level_info(m->fmt, level)->block_ok)
		return true;               /* PS=1 in a PML4E or PML5E */
	unsigned leaf_shift = pt_leaf_shift(m->fmt, level);
	return raw & MASK(leaf_shift - 1, 13); /* between PAT (bit 12) and the address */
}

static bool fault(struct mmu *m, struct mmu_xlate *x, enum mmu_fault_kind kind, int level,
		  enum mmu_access acc, bool user, bool in_walk)
{
	x->fault = (struct mmu_fault){.kind = kind, .level = (int8_t)level, .access = acc, .user = user,
				      .va = x->va, .in_walk = in_walk};
	x->fault.syn = mmu_syndrome_of(m->fmt->arch, &x->fault);
	return false;
}

static void charge(struct mmu *m, struct mmu_xlate *x, enum mmu_cost c, uint64_t cycles)
{
	m->st.cycles[c] += cycles;
	x->cycles += cycles;
}

bool walk_translate(struct mmu *m, uint64_t root, uint16_t asid, uint64_t va, enum mmu_access acc,
		    bool user, bool probe, bool use_wc, struct mmu_xlate *x)
{
	const struct pt_format *f = m->fmt;
	bool x86 = f->arch == ARCH_X86_64;
	x->va = va;
	x->walk.nsteps = 0;
	x->tlb_level = 0;
	x->fault.kind = FAULT_NONE;
	if (!probe)
		m->st.walks++;
	if (!mmu_va_in_range(m, va))
		return fault(m, x, FAULT_NONCANONICAL, f->top_level, acc, user, false);

	int level = f->top_level;
	uint64_t table = root;
	uint8_t restrict_acc = 0;
	if (use_wc) {
		for (int l = PT_LEVEL_LEAF - 1; l >= f->top_level; l--) {
			struct walk_cache *w = &m->wc[l - f->top_level];
			if (!w->e)
				continue;
			struct wc_entry *e = wc_lookup(w, (va & m->va_mask) >> pt_leaf_shift(f, l), asid);
			if (!e)
				continue;
			m->st.walk_cache_hits[l - f->top_level]++;
			charge(m, x, COST_WALK_CACHE, w->latency);
			table = e->next;
			restrict_acc = e->acc;
			level = l + 1;
			break;
		}
	}

	struct pte d;
	uint64_t entry_pa, raw;
	for (;; level++) {
		unsigned idx = pt_index(f, level, va);
		entry_pa = table + 8ull * idx;
		if (!physmem_ptr(m->pm, entry_pa, 8))
			return fault(m, x, FAULT_EXTERNAL, level, acc, user, true);
		raw = physmem_read64(m->pm, entry_pa);
		x->walk.step[x->walk.nsteps++] =
			(struct walk_step){.level = (int8_t)level, .index = (uint16_t)idx, .table_pa = table, .raw = raw};
		if (!probe) {
			m->st.walk_reads++;
			charge(m, x, COST_WALK_MEMORY, m->cfg.walk_read_latency);
		}
		d = pte_decode(f, level, raw);
		if (d.kind == PTE_INVALID)
			return fault(m, x, FAULT_NOT_PRESENT, level, acc, user, false);
		if (x86 ? x86_reserved(m, level, raw) : (d.oa >> m->cfg.pa_bits) != 0)
			return fault(m, x, FAULT_RESERVED, level, acc, user, false);
		if (d.kind != PTE_TABLE)
			break;
		restrict_acc |= x86 ? x86_table_restrictions(&d) : a64_table_restrictions(&d);
		if (x86 && !d.accessed && !probe) {
			/* The walker sets A in every paging-structure entry it uses. */
			physmem_write64(m->pm, entry_pa, raw | BIT(5));
			m->st.ad_updates++;
		}
		if (use_wc && !probe && m->wc[level - f->top_level].e)
			wc_insert(&m->wc[level - f->top_level], (va & m->va_mask) >> pt_leaf_shift(f, level), asid, d.oa,
				  restrict_acc);
		table = d.oa;
	}

	/* A leaf. AArch64 blocks are allowed only at some levels. */
	if (d.kind == PTE_BLOCK && !pt_level_info(f, level)->block_ok)
		return fault(m, x, FAULT_NOT_PRESENT, level, acc, user, false);
	if (!x86 && !d.accessed && !m->cfg.hw_af)
		return fault(m, x, FAULT_ACCESS_FLAG, level, acc, user, false);

	if (x86)
		x86_rights(&d, restrict_acc, x);
	else
		a64_rights(m, &d, restrict_acc, x);
	uint8_t rights = user ? x->perm_user : x->perm_kernel;
	if (!(rights & access_bit(acc)))
		return fault(m, x, FAULT_PERMISSION, level, acc, user, false);
	if (x86 && user && acc != ACC_FETCH && m->pkru) {
		unsigned bits = (m->pkru >> (2 * d.pkey)) & 3;
		if ((bits & 1) || (acc == ACC_WRITE && (bits & 2)))
			return fault(m, x, FAULT_PKEY, level, acc, user, false);
	}

	unsigned shift = pt_leaf_shift(f, level);
	if (!x86 && d.contig) {
		unsigned n = pt_level_info(f, level)->contig_entries;
		shift += (unsigned)__builtin_ctz(n);
	}
	uint64_t span = 1ull << shift;
	x->frame = d.oa & ~(span - 1);
	x->page_shift = (uint8_t)shift;
	x->leaf_level = (int8_t)level;
	x->pkey = d.pkey;
	x->pa = x->frame + (va & (span - 1));
	if (!physmem_ptr(m->pm, d.oa, 1ull << pt_leaf_shift(f, level)))
		return fault(m, x, FAULT_EXTERNAL, level, acc, user, false);

	if (probe)
		return true;
	/* Hardware updates of the leaf: x86 A and D; AArch64 AF and DBM when enabled. */
	uint64_t upd = raw;
	if (x86) {
		upd |= BIT(5) | (acc == ACC_WRITE ? BIT(6) : 0);
		if (acc == ACC_WRITE)
			x->dirty = true;
	} else {
		upd |= BIT(10);  /* reached only with AF=1 or hardware AF */
		if (acc == ACC_WRITE && !d.write) {
			upd &= ~BIT(7);  /* DBM: the write makes the page dirty (AP[2]=0) */
			x->dirty = true;
		}
	}
	if (upd != raw) {
		physmem_write64(m->pm, entry_pa, upd);
		m->st.ad_updates++;
	}
	return true;
}
