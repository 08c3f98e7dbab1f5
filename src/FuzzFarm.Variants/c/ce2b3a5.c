// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (B) "ce2b3a5": no mutex for ranges that are pte-mapped
 * already; the late KFENCE pool is split to ptes when it is set up.
 *
 * Provenance: ce2b3a50ad92 "arm64: mm: Don't sleep in
 * split_kernel_leaf_mapping() when in atomic context" with 40a292f70147 and
 * 53357f14f924,
 * Message-ID <20251106160945.3182799-2-ryan.roberts@arm.com>.
 *
 * FuzzFarm's own re-expression (domain notes, section 4.2); not kernel
 * source.  C# twin: src/FuzzFarm.Variants/Ce2b3a5.cs.  Not expressible here:
 * swiotlb_update_mem_attributes() still runs from arch_mm_preinit().
 */

static DEFINE_MUTEX(pgtable_split_lock);

/* Set by map_mem(), read by linear_map_maybe_split_to_ptes() during boot. */
static bool linear_map_requires_bbml2 __initdata;

/*
 * Can a leaf of the linear map be split at all? Only with BBML2_NOABORT,
 * and only when the map is not page-mapped from the start.
 */
static bool split_leaf_mapping_possible(void)
{
	return system_supports_bbml2_noabort() && !force_pte_mapping();
}

/**
 * split_kernel_leaf_mapping() - make @start and @end leaf boundaries
 * @start: first byte of the linear-map range
 * @end: first byte after it
 *
 * Return: 0 on success (or when nothing needs splitting), -errno otherwise.
 */
int split_kernel_leaf_mapping(unsigned long start, unsigned long end)
{
	int ret;

	if (!system_supports_bbml2_noabort())
		return 0;

	/*
	 * debug_pagealloc and KFENCE change permissions from atomic context,
	 * but what they touch is pte-mapped already: return before the mutex,
	 * which may sleep.
	 */
	if (force_pte_mapping() || is_kfence_address((void *)start))
		return 0;

	if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
		return -EINVAL;

	mutex_lock(&pgtable_split_lock);
	arch_enter_lazy_mmu_mode();

	/*
	 * A one-page range sits inside a single CONT-PTE group at most, so
	 * splitting at whichever end is less aligned also makes the other end
	 * a leaf boundary.
	 */
	if (end - start == PAGE_SIZE) {
		start = __ffs(start) < __ffs(end) ? start : end;
		ret = split_kernel_leaf_mapping_locked(start);
	} else {
		ret = split_kernel_leaf_mapping_locked(start);
		if (!ret)
			ret = split_kernel_leaf_mapping_locked(end);
	}

	arch_leave_lazy_mmu_mode();
	mutex_unlock(&pgtable_split_lock);
	return ret;
}

#ifdef CONFIG_KFENCE
/*
 * A pool allocated late comes from the buddy allocator and may sit inside
 * block mappings: split it down to ptes once, here, so that later
 * permission changes on it never need the (sleeping) split path.
 */
bool arch_kfence_init_pool(void)
{
	unsigned long start = (unsigned long)__kfence_pool;
	unsigned long end = start + KFENCE_POOL_SIZE;
	int ret;

	if (!split_leaf_mapping_possible())
		return true;

	/* An early pool was already mapped with ptes by map_mem(). */
	if (kfence_early_init)
		return true;

	mutex_lock(&pgtable_split_lock);
	ret = range_split_to_ptes(start, end, GFP_PGTABLE_KERNEL);
	mutex_unlock(&pgtable_split_lock);

	/* BBML2_NOABORT: stale block entries may stay in the TLB, no flush. */
	return ret == 0;
}
#endif /* CONFIG_KFENCE */
