// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm's own C text of (E), realm-v2 + cpus_read_trylock(); written from the domain notes §4.
 */
static DEFINE_MUTEX(pgtable_split_lock);
static bool linear_map_requires_bbml2 __initdata;

static int split_kernel_leaf_mapping_locked(unsigned long addr)
{
	return 0;	/* the model's own is used */
}

/**
 * split_kernel_leaf_mapping() - make start and end leaf boundaries
 */
int split_kernel_leaf_mapping(unsigned long start, unsigned long end)
{
	int ret;

	if (!linear_map_requires_bbml2 || is_kfence_address((void *)start))
		return 0;

	if (!system_supports_bbml2_noabort()) {
		extern bool page_alloc_available;
		bool busy;

		if (system_capabilities_finalized())
			return 0;
		if (WARN_ON(!page_alloc_available))
			return -EBUSY;
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
