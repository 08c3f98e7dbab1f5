// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (C) "realm-v1": splits are allowed before the CPU
 * capabilities are finalized, on one online CPU, once the page allocator is
 * up.  It asks the executing CPU whether it has BBML2_NOABORT.
 *
 * Provenance: "[PATCH v1 1/3] arm64: mm: Fix rodata=full block mapping
 * support for realm guests" (23 Mar 2026, not merged),
 * Message-ID <20260323130317.1737522-2-ryan.roberts@arm.com>.
 *
 * FuzzFarm's own re-expression (domain notes, section 4.3); not kernel
 * source.  C# twin: src/FuzzFarm.Variants/RealmV1.cs.  The series also moves
 * swiotlb_update_mem_attributes() to a new arm64 mem_init(), which sets
 * page_alloc_available first; that part is the model's.
 */

static DEFINE_MUTEX(pgtable_split_lock);

/* Set by map_mem(), read by linear_map_maybe_split_to_ptes() during boot. */
static bool linear_map_requires_bbml2 __initdata;

/**
 * split_kernel_leaf_mapping() - make @start and @end leaf boundaries
 * @start: first byte of the linear-map range
 * @end: first byte after it
 *
 * Return: 0 on success (or when nothing needs splitting), -EBUSY when a
 * split is not possible yet, other -errno on failure.
 */
int split_kernel_leaf_mapping(unsigned long start, unsigned long end)
{
	int ret;

	if (!system_supports_bbml2_noabort()) {
		/*
		 * Capabilities not finalized yet: this CPU must have
		 * BBML2_NOABORT, the page allocator must be up (splitting
		 * allocates) and no other CPU may be running.
		 */
		if (system_capabilities_finalized() ||
		    !cpu_supports_bbml2_noabort())
			return 0;
		if (WARN_ON_ONCE(!page_alloc_available))
			return -EBUSY;
		if (WARN_ON_ONCE(num_online_cpus() > 1))
			return -EBUSY;
	}

	/* Page-mapped already: nothing to do, and no mutex for atomic callers. */
	if (force_pte_mapping() || is_kfence_address((void *)start))
		return 0;

	if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
		return -EINVAL;

	mutex_lock(&pgtable_split_lock);
	lazy_mmu_mode_enable();

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

	lazy_mmu_mode_disable();
	mutex_unlock(&pgtable_split_lock);
	return ret;
}
