/* TLBs. A TLB level is one or more set-associative arrays, each holding some
 * page sizes (Skylake's L1 dTLB has separate 4K, 2M/4M and 1G arrays; a
 * Cortex-A76 L1 holds every size in one). A lookup probes every array for
 * every size it holds, as the hardware does in parallel. A mapping larger than
 * any array of a level holds is splintered into the largest size it does
 * hold, down to the base page. */
#include "mmu/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

void tlb_forget(struct tlb *t)
{
	for (unsigned i = 0; i < TLB_MEMO_SLOTS; i++)
		t->memo[i].page = TLB_NO_KEY;
	t->missed_page = ~0ull;
}

static unsigned log2u(uint32_t v) { return 31u - (unsigned)__builtin_clz(v); }

bool tlb_init(struct tlb *t, const struct tlb_config *c, uint64_t seed, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->latency = c->latency;
	t->narrays = c->narrays;
	for (unsigned i = 0; i < c->narrays; i++) {
		const struct tlb_array_config *ac = &c->array[i];
		struct tlb_array *a = &t->arr[i];
		uint32_t ways = ac->ways ? ac->ways : ac->entries;
		if (!ac->entries || !ac->sizes || ac->entries % ways || !is_pow2(ac->entries / ways) ||
		    ac->entries > (1u << 24)) {
			snprintf(err, errlen, "TLB array %u: entries/ways must be a power of two (%u/%u), entries at most 2^24",
				 i, ac->entries, ways);
			return false;
		}
		if (ac->repl == REPL_PLRU && (!is_pow2(ways) || ways > 64)) {
			snprintf(err, errlen, "TLB array %u: tree pseudo-LRU needs a power-of-two number of ways (<= 64), not %u",
				 i, ways);
			return false;
		}
		a->sizes = ac->sizes;
		a->ways = ways;
		a->sets = ac->entries / ways;
		a->repl = ac->repl;
		a->rng = (seed ? seed : 1) * 0x9E3779B97F4A7C15ull + i + 1;
		a->hash_bits = log2u(ac->entries) + 2;   /* a load of at most 1/4: chains of about one */
		a->e = calloc(ac->entries, sizeof *a->e);
		a->plru = calloc(a->sets, sizeof *a->plru);
		a->keys = malloc(ac->entries * sizeof *a->keys);
		a->bucket = calloc((size_t)1 << a->hash_bits, sizeof *a->bucket);
		a->chain = calloc(ac->entries, sizeof *a->chain);
		a->head = calloc(a->sets, sizeof *a->head);
		a->used = calloc(a->sets, sizeof *a->used);
		a->stamp = calloc(ac->entries, sizeof *a->stamp);
		a->clock = calloc(a->sets, sizeof *a->clock);
		a->cand = ways > LRU_CANDIDATES && a->repl == REPL_LRU ? calloc(a->sets, sizeof *a->cand) : NULL;
		if (!a->e || !a->plru || !a->keys || !a->bucket || !a->chain || !a->head || !a->used || !a->stamp ||
		    !a->clock || (ways > LRU_CANDIDATES && a->repl == REPL_LRU && !a->cand)) {
			snprintf(err, errlen, "out of host memory");
			return false;
		}
		for (uint32_t k = 0; k < ac->entries; k++)
			a->keys[k] = TLB_NO_KEY;
	}
	tlb_forget(t);
	return true;
}

void tlb_free(struct tlb *t)
{
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->arr[i];
		free(a->e);
		free(a->plru);
		free(a->keys);
		free(a->bucket);
		free(a->chain);
		free(a->head);
		free(a->used);
		free(a->stamp);
		free(a->clock);
		free(a->cand);
		a->cand = NULL;
	}
	t->narrays = 0;
	tlb_forget(t);
}

static inline uint64_t tlb_key(uint64_t va, unsigned shift)
{
	return (va & ~((1ull << shift) - 1)) | shift;
}

static inline uint32_t tlb_set(const struct tlb_array *a, uint64_t va, unsigned shift)
{
	return (uint32_t)(va >> shift) & (a->sets - 1);
}

/* Tree pseudo-LRU: node bits point towards the half to evict next. */
static void plru_touch(struct tlb_array *a, uint32_t set, uint32_t way)
{
	unsigned depth = log2u(a->ways);
	uint64_t bits = a->plru[set];
	unsigned node = 1;
	for (unsigned d = 0; d < depth; d++) {
		unsigned dir = (way >> (depth - 1 - d)) & 1;
		if (dir)
			bits &= ~(1ull << node);
		else
			bits |= 1ull << node;
		node = node * 2 + dir;
	}
	a->plru[set] = bits;
}

static uint32_t plru_victim(const struct tlb_array *a, uint32_t set)
{
	unsigned depth = log2u(a->ways), node = 1;
	for (unsigned d = 0; d < depth; d++)
		node = node * 2 + (unsigned)((a->plru[set] >> node) & 1);
	return node - a->ways;
}

static void touch(struct tlb_array *a, uint32_t set, uint32_t way)
{
	lru_stamp(&a->stamp[(size_t)set * a->ways + way], &a->clock[set], &a->head[set], way);
	if (a->repl == REPL_PLRU)
		plru_touch(a, set, way);
}

/* The LRU_CANDIDATES least recent ways of a set, oldest first, in one
 * scan (stamps are unique: every way of a full set was touched). */
static void lru_candidates_find(struct lru_candidates *c, const uint64_t *st, uint32_t ways)
{
	c->n = c->next = 0;
	for (uint32_t w = 0; w < ways; w++) {
		if (c->n == LRU_CANDIDATES && st[w] >= c->stamp[c->n - 1])
			continue;
		uint32_t i = c->n < LRU_CANDIDATES ? c->n++ : c->n - 1;
		for (; i > 0 && c->stamp[i - 1] > st[w]; i--) {
			c->stamp[i] = c->stamp[i - 1];
			c->way[i] = c->way[i - 1];
		}
		c->stamp[i] = st[w];
		c->way[i] = w;
	}
}

/* The least recently used way of a full set: the smallest stamp. A wide
 * set (a 48-way L1) takes it from its candidates, scanning again only
 * when all have been touched since. */
static uint32_t lru_way(struct tlb_array *a, uint32_t set)
{
	const uint64_t *st = &a->stamp[(size_t)set * a->ways];
	if (a->cand) {
		struct lru_candidates *c = &a->cand[set];
		for (;; lru_candidates_find(c, st, a->ways))
			for (; c->next < c->n; c->next++)
				if (st[c->way[c->next]] == c->stamp[c->next])
					return c->way[c->next];
	}
	uint32_t best = 0;
	for (uint32_t w = 1; w < a->ways; w++)
		if (st[w] < st[best])
			best = w;
	return best;
}

/* The way a fill replaces: the first empty one, else the policy's. */
static uint32_t victim_way(struct tlb_array *a, uint32_t set)
{
	if (a->used[set] < a->ways) {
		const uint64_t *k = &a->keys[(size_t)set * a->ways];
		uint32_t w = 0;
		while (k[w] != TLB_NO_KEY)
			w++;
		return w;
	}
	switch (a->repl) {
	case REPL_LRU:
		return lru_way(a, set);
	case REPL_PLRU:
		return plru_victim(a, set);
	case REPL_RANDOM:
		a->rng ^= a->rng << 13; /* xorshift64: reproducible from the preset's seed */
		a->rng ^= a->rng >> 7;
		a->rng ^= a->rng << 17;
		return (uint32_t)(a->rng % a->ways);
	}
	return 0;
}

static inline uint32_t *hash_bucket(const struct tlb_array *a, uint64_t key)
{
	return &a->bucket[(key * 0x9E3779B97F4A7C15ull) >> (64 - a->hash_bits)];
}

static void hash_insert(struct tlb_array *a, size_t i)
{
	uint32_t *b = hash_bucket(a, a->keys[i]);
	a->chain[i] = *b;
	*b = (uint32_t)i + 1;
}

static void hash_remove(struct tlb_array *a, size_t i)
{
	uint32_t *link = hash_bucket(a, a->keys[i]);
	while (*link != i + 1)
		link = &a->chain[*link - 1];
	*link = a->chain[i];
}

/* Empty entry i of set `set`. */
static void entry_drop(struct tlb_array *a, uint32_t set, size_t i)
{
	hash_remove(a, i);
	a->keys[i] = TLB_NO_KEY;
	a->used[set]--;
}

/* Entry i of array a maps key for asid. */
static inline bool entry_matches(const struct tlb_array *a, size_t i, uint64_t key, uint16_t asid)
{
	return a->keys[i] == key && (a->e[i].global || a->e[i].asid == asid);
}

/* The entry holding key for asid (for any ASID when any_asid), as an
 * index + 1; 0 if none. */
static inline uint32_t entry_find(const struct tlb_array *a, uint64_t key, uint16_t asid, bool any_asid)
{
	uint32_t j = *hash_bucket(a, key);
	while (j && !(any_asid ? a->keys[j - 1] == key : entry_matches(a, j - 1, key, asid)))
		j = a->chain[j - 1];
	return j;
}

/* Whether entry i is the only one of its array matching key and asid. */
static bool matches_only(const struct tlb_array *a, size_t i, uint64_t key, uint16_t asid)
{
	for (uint32_t j = *hash_bucket(a, key); j; j = a->chain[j - 1])
		if (j - 1 != i && entry_matches(a, j - 1, key, asid))
			return false;
	return true;
}

/* Where entry `way` of `set` sits, for a memo. */
static void memo_place(struct tlb_memo *s, struct tlb_array *a, uint32_t set, uint32_t way, uint64_t key,
		       uint16_t asid)
{
	size_t i = (size_t)set * a->ways + way;
	s->e = &a->e[i];
	s->a = a;
	s->head = &a->head[set];
	s->stamp = &a->stamp[i];
	s->clock = &a->clock[set];
	s->plru = a->repl == REPL_PLRU;
	s->set = set;
	s->way = way;
	s->only = matches_only(a, i, key, asid);
}

const struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t va, uint16_t asid, struct tlb_memo *s)
{
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->arr[i];
		for (uint64_t sizes = a->sizes & a->present; sizes; sizes &= sizes - 1) {
			unsigned shift = (unsigned)__builtin_ctzll(sizes);
			uint32_t set = tlb_set(a, va, shift);
			uint64_t key = tlb_key(va, shift);
			size_t row = (size_t)set * a->ways;
			/* The set's most recently used entry again: its position in
			 * the replacement order cannot change, so nothing to touch. */
			if (entry_matches(a, row + a->head[set], key, asid)) {
				memo_place(s, a, set, a->head[set], key, asid);
				return s->e;
			}
			uint32_t j = entry_find(a, key, asid, false);
			if (j) {
				touch(a, set, (uint32_t)(j - 1 - row));
				memo_place(s, a, set, (uint32_t)(j - 1 - row), key, asid);
				return s->e;
			}
		}
	}
	return NULL;
}

void tlb_memo_plru_touch(const struct tlb_memo *s) { plru_touch(s->a, s->set, s->way); }

static struct tlb_slot slot_of(uint64_t key, const struct tlb_entry *e)
{
	if (key == TLB_NO_KEY)
		return (struct tlb_slot){0};
	return (struct tlb_slot){.va = key & ~0xFFFull, .asid = e->asid, .shift = e->shift, .valid = true,
				 .global = e->global};
}

/* The array of a TLB level that holds a mapping of 2^shift bytes. */
static int array_for(const struct tlb *t, unsigned shift)
{
	for (unsigned i = 0; i < t->narrays; i++)
		if (t->arr[i].sizes & (1ull << shift))
			return (int)i;
	return -1;
}

/* Forgets the memos of the pages in [va, va + 2^shift) that may point at
 * e or whose lookup a mapping there can change: by slot when the range
 * has fewer pages than the memo has slots, else all. */
static void memo_forget_range(struct tlb *t, const struct tlb_entry *e, uint64_t va, unsigned shift,
			      uint64_t va_mask)
{
	if ((1ull << (shift - 12)) < TLB_MEMO_SLOTS) {
		uint64_t first = va >> 12, n = 1ull << (shift - 12);
		for (uint64_t p = first; p < first + n; p++) {
			struct tlb_memo *s = &t->memo[p & (TLB_MEMO_SLOTS - 1)];
			if (s->page != TLB_NO_KEY && (s->e == e || ((s->page << 12) & va_mask) >> shift == va >> shift))
				s->page = TLB_NO_KEY;
		}
		return;
	}
	for (unsigned k = 0; k < TLB_MEMO_SLOTS; k++) {
		struct tlb_memo *s = &t->memo[k];
		if (s->page != TLB_NO_KEY && (s->e == e || ((s->page << 12) & va_mask) >> shift == va >> shift))
			s->page = TLB_NO_KEY;
	}
}

/* After entry e (holding old_key before) was filled with the 2^shift-byte
 * mapping at va (masked to va_mask): the memos it can have changed are
 * forgotten, the rest stay. A fill leaves every other page's lookup as it
 * was: its entry is neither e nor one a lookup of the new mapping's pages
 * could find (what the fill touched, memo_hit sees by the head). A memo
 * pointing at e is of a page the old mapping covered. */
static void memo_forget_fill(struct tlb *t, const struct tlb_entry *e, uint64_t old_key, uint64_t va,
			     unsigned shift, uint64_t va_mask)
{
	memo_forget_range(t, e, va, shift, va_mask);
	if (old_key != TLB_NO_KEY) {
		unsigned old_shift = (unsigned)(old_key & 0xFFF);
		memo_forget_range(t, e, old_key & ~0xFFFull, old_shift, va_mask);
	}
	t->missed_page = ~0ull;   /* a fill is the end of a miss's memo */
}

void tlb_fill(struct mmu *m, enum tlb_id id, const struct mmu_xlate *x)
{
	struct tlb *t = &m->tlb[id];
	if (!t->narrays)
		return;
	unsigned tries[3] = {x->page_shift, pt_leaf_shift(m->fmt, x->leaf_level), m->fmt->page_shift};
	int ai = -1;
	unsigned shift = 0;
	for (unsigned k = 0; k < 3 && ai < 0; k++) {
		shift = tries[k];
		ai = array_for(t, shift);
	}
	if (ai < 0)
		return;   /* nothing filled: every memo stays true */
	struct tlb_array *a = &t->arr[ai];
	uint64_t va = x->va & m->va_mask;
	uint64_t key = tlb_key(va, shift);
	uint32_t set = tlb_set(a, va, shift);
	size_t row = (size_t)set * a->ways;
	/* Refreshed in place, not duplicated: the entry for this ASID or a
	 * global one, or any ASID's when the new one is global. */
	uint32_t j = entry_find(a, key, m->asid, x->global);
	uint32_t way = j ? (uint32_t)(j - 1 - row) : victim_way(a, set);
	size_t i = row + way;
	a->present |= 1ull << shift;
	struct tlb_entry old = a->e[i];
	uint64_t old_key = a->keys[i];
	memo_forget_fill(t, &a->e[i], old_key, va, shift, m->va_mask);
	if (old_key != key) {
		if (old_key != TLB_NO_KEY)
			hash_remove(a, i);
		else
			a->used[set]++;
		a->keys[i] = key;
		hash_insert(a, i);
	}
	a->e[i] = (struct tlb_entry){
		.frame = x->pa & ~((1ull << shift) - 1), .asid = m->asid, .shift = (uint8_t)shift,
		.perm_user = x->perm_user, .perm_kernel = x->perm_kernel, .dirty = x->dirty, .global = x->global,
		.pkey = x->pkey, .level = x->leaf_level,
	};
	touch(a, set, way);
	if (m->observer) {
		struct mmu_event ev = {.kind = MMU_EV_TLB_FILL, .tlb = id, .array = (uint8_t)ai, .set = set, .way = way,
				       .filled = slot_of(key, &a->e[i]), .cpu = (uint8_t)m->cpu};
		if (old_key != key || old.asid != m->asid)
			ev.victim = slot_of(old_key, &old);
		mmu_emit(m, &ev);
	}
}

/* scope 0: the mappings covering va, for asid and global ones (INVLPG, TLBI
 * VAE1); 1: all non-global entries of asid (INVPCID single-context, TLBI
 * ASIDE1); 2: everything (TLBI VMALLE1, INVPCID all-context). */
uint32_t tlb_flush(struct tlb *t, int scope, uint64_t va, uint16_t asid)
{
	uint32_t n = 0;
	tlb_forget(t);
	for (unsigned i = 0; i < t->narrays; i++) {
		struct tlb_array *a = &t->arr[i];
		if (scope == 0) {
			for (uint64_t sizes = a->sizes & a->present; sizes; sizes &= sizes - 1) {
				unsigned shift = (unsigned)__builtin_ctzll(sizes);
				uint64_t key = tlb_key(va, shift);
				for (uint32_t j; (j = entry_find(a, key, asid, false)); n++)
					entry_drop(a, tlb_set(a, va, shift), j - 1);
			}
			continue;
		}
		for (uint32_t k = 0; k < a->sets * a->ways; k++) {
			const struct tlb_entry *e = &a->e[k];
			if (a->keys[k] != TLB_NO_KEY && (scope == 2 || (!e->global && e->asid == asid))) {
				entry_drop(a, k / a->ways, k);
				n++;
			}
		}
	}
	return n;
}

bool mmu_tlb_slot(const struct mmu *m, enum tlb_id t, unsigned array, uint32_t set, uint32_t way,
		  struct tlb_slot *out)
{
	const struct tlb *tl = &m->tlb[t];
	if (array >= tl->narrays || set >= tl->arr[array].sets || way >= tl->arr[array].ways)
		return false;
	size_t i = (size_t)set * tl->arr[array].ways + way;
	*out = slot_of(tl->arr[array].keys[i], &tl->arr[array].e[i]);
	return true;
}
