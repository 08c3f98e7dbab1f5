// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (F) "bbml2-uncond": use BBML2_NOABORT whenever the
 * linear map is not forced to ptes, and let can_set_direct_map() be true
 * when BBML2_NOABORT is there.  split_kernel_leaf_mapping() is realm-v2's.
 *
 * Provenance: proposal by Kevin Brodsky in the realm v2 thread
 * (9 Apr 2026); no patch was posted, this is FuzzFarm's reading on
 * f12b435de2f2.
 *
 * FuzzFarm's own re-expression (domain notes, sections 4.4 and 8); not
 * kernel source.  C# twin: src/FuzzFarm.Variants/Bbml2Uncond.cs.
 */

static DEFINE_MUTEX(pgtable_split_lock);

static bool linear_map_requires_bbml2;

/*
 * pageattr.c: may the linear map be changed at all?  Also when the CPU(s)
 * force_pte_mapping() would ask have BBML2_NOABORT.
 */
bool can_set_direct_map(void)
{
	bool bbml2 = system_capabilities_finalized() ?
		     system_supports_bbml2_noabort() :
		     cpu_supports_bbml2_noabort();

	return rodata_full || debug_pagealloc_enabled() ||
	       arm64_kfence_can_set_direct_map() || is_realm_world() || bbml2;
}

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

	if (!linear_map_requires_bbml2 || is_kfence_address((void *)start))
		return 0;

	if (!system_supports_bbml2_noabort()) {
		if (system_capabilities_finalized())
			return 0;
		if (WARN_ON_ONCE(!page_alloc_available))
			return -EBUSY;
		if (WARN_ON_ONCE(num_online_cpus() > 1))
			return -EBUSY;
	}

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
