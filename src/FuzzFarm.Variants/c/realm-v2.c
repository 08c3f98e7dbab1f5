// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (D) "realm-v2", upstream: decide on
 * linear_map_requires_bbml2 (the boot CPU is known to have BBML2_NOABORT)
 * instead of the executing CPU; before the capabilities are finalized, no
 * split while more than one CPU is online.
 *
 * Provenance: f12b435de2f2 = "[PATCH v2 1/3] arm64: mm: Fix rodata=full
 * block mapping support for realm guests" (30 Mar 2026),
 * Message-ID <20260330161705.3349825-2-ryan.roberts@arm.com>.
 *
 * FuzzFarm's own re-expression (domain notes, section 4.4); not kernel
 * source.  C# twin: src/FuzzFarm.Variants/RealmV2.cs.
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
