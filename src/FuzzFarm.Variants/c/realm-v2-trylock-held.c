// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (E') "realm-v2-trylock-held": the trylock of (E), with
 * the read side of cpu_hotplug_lock kept for the whole split before the
 * capabilities are finalized.  Lock order: cpu_hotplug_lock (read), then
 * pgtable_split_lock.
 *
 * Provenance: implied by Catalin Marinas in <adTMFFljx862f7TF@arm.com>
 * (7 Apr 2026), "keep the lock for the duration of the splitting"; applied
 * to f12b435de2f2.  No patch was posted; this is FuzzFarm's reading.
 *
 * FuzzFarm's own re-expression (domain notes, section 4.5); not kernel
 * source.  C# twin: src/FuzzFarm.Variants/RealmV2TrylockHeld.cs.
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
	bool hotplug_locked = false;
	int ret;

	if (!linear_map_requires_bbml2 || is_kfence_address((void *)start))
		return 0;

	if (!system_supports_bbml2_noabort()) {
		if (system_capabilities_finalized())
			return 0;
		if (WARN_ON_ONCE(!page_alloc_available))
			return -EBUSY;

		/*
		 * Hold off CPU bring-up until the split is done: a CPU that
		 * comes online meanwhile might lack BBML2_NOABORT.
		 */
		if (!cpus_read_trylock())
			return -EBUSY;
		if (num_online_cpus() > 1) {
			cpus_read_unlock();
			return -EBUSY;
		}
		hotplug_locked = true;
	}

	if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE)) {
		ret = -EINVAL;
		goto out;
	}

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
out:
	if (hotplug_locked)
		cpus_read_unlock();
	return ret;
}
