// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version "bbml3": linux-next 94104e3cfa80 renames the
 * BBML2_NOABORT capability and helpers to BBML3 and 879aca5119cd lets a CPU
 * qualify when ID_AA64MMFR2_EL1.BBM >= 3 or its MIDR is on the allow-list
 * (Linu Cherian, 1 Jul 2026).  Only how a CPU qualifies changes
 * (has_bbml3() in cpufeature.c, which the model implements per version: see
 * Bbml3.CpuQualifiesBbml2NoAbort); the split's guards are (D)'s, shown here
 * under their pre-rename names.
 *
 * FuzzFarm's own re-expression (domain notes, sections 4.4 and 9); not
 * kernel source.  C# twin: src/FuzzFarm.Variants/Bbml3.cs.
 */

static DEFINE_MUTEX(pgtable_split_lock);

/* Set by map_mem(); read at run time since this version, so not __initdata. */
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
	int ret;

	/*
	 * Nothing is block-mapped unless the linear map relies on
	 * BBML2_NOABORT, and the KFENCE pool is always pte-mapped.
	 */
	if (!linear_map_requires_bbml2 || is_kfence_address((void *)start))
		return 0;

	if (!system_supports_bbml2_noabort()) {
		/*
		 * Finalized without BBML2_NOABORT: the linear map was
		 * repainted to ptes, there is nothing left to split.
		 */
		if (system_capabilities_finalized())
			return 0;

		/*
		 * Not finalized yet: only the boot CPU, which has
		 * BBML2_NOABORT, may be running, and splitting allocates.
		 */
		if (WARN_ON_ONCE(!page_alloc_available))
			return -EBUSY;
		if (WARN_ON_ONCE(num_online_cpus() > 1))
			return -EBUSY;
	}

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end))
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
