// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (E) "realm-v2-trylock": realm-v2 with the online-CPU
 * check done under cpus_read_trylock(), the read lock dropped again before
 * the split.
 *
 * Provenance: Catalin Marinas's idea on REALMv2 (2 Apr 2026),
 * Message-ID <ac7VD4Z85nS30GCp@arm.com>, declined in
 * <adTMFFljx862f7TF@arm.com>; applied to f12b435de2f2.  The mail gives no
 * patch: the trylock's place among the checks and its -EBUSY without a
 * WARN are FuzzFarm's reading.
 *
 * FuzzFarm's own re-expression (domain notes, section 4.5); not kernel
 * source.  C# twin: src/FuzzFarm.Variants/RealmV2Trylock.cs.
 */

static DEFINE_MUTEX(pgtable_split_lock);

static bool linear_map_requires_bbml2;

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
	bool busy;
	int ret;

	if (!linear_map_requires_bbml2 || is_kfence_address((void *)start))
		return 0;

	if (!system_supports_bbml2_noabort()) {
		if (system_capabilities_finalized())
			return 0;
		if (WARN_ON_ONCE(!page_alloc_available))
			return -EBUSY;

		/*
		 * A CPU being brought up or taken down holds cpu_hotplug_lock
		 * for write; do not wait for it.
		 */
		if (!cpus_read_trylock())
			return -EBUSY;
		busy = num_online_cpus() > 1;
		cpus_read_unlock();
		if (busy)
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
