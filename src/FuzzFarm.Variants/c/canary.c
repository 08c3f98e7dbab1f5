// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version "canary": a deliberately broken copy of (D) realm-v2 that
 * splits at @start only and forgets @end.  Every working engine must find it.
 *
 * Provenance: planted bug in a copy of f12b435de2f2 (FuzzFarm self-test).
 *
 * FuzzFarm's own text; not kernel source.  C# twin:
 * src/FuzzFarm.Variants/Canary.cs.
 */

static DEFINE_MUTEX(pgtable_split_lock);

static bool linear_map_requires_bbml2;

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
	ret = split_kernel_leaf_mapping_locked(start);	/* BUG (planted): @end is never split. */
	lazy_mmu_mode_disable();
	mutex_unlock(&pgtable_split_lock);
	return ret;
}
