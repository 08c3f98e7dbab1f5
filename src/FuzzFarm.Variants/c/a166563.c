// SPDX-License-Identifier: GPL-2.0-only
/*
 * FuzzFarm version (A) "a166563": the original lazy split of the linear map.
 *
 * Provenance: a166563e7ec3 "arm64: mm: support large block mapping when
 * rodata=full" (6.18-rc1),
 * Message-ID <20250917190323.3828347-4-yang@os.amperecomputing.com>.
 *
 * FuzzFarm's own re-expression of arch/arm64/mm/mmu.c at that version
 * (following the project's domain notes, section 4.1); not kernel source.
 * C# twin: src/FuzzFarm.Variants/A166563.cs.  Not expressible here: this
 * kernel still calls swiotlb_update_mem_attributes() from arch_mm_preinit().
 */

static DEFINE_MUTEX(pgtable_split_lock);

/* Set by map_mem(), read by linear_map_maybe_split_to_ptes() during boot. */
static bool linear_map_requires_bbml2 __initdata;

/**
 * split_kernel_leaf_mapping() - make @start and @end leaf boundaries
 * @start: first byte of the linear-map range
 * @end: first byte after it
 *
 * Return: 0 on success (or when nothing can be split), -errno otherwise.
 */
int split_kernel_leaf_mapping(unsigned long start, unsigned long end)
{
	int ret;

	/*
	 * Without BBML2_NOABORT nothing can be split while live. Leave it to
	 * the permission walk to complain if the range is not pte-mapped.
	 */
	if (!system_supports_bbml2_noabort())
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
/* No arm64 override yet: the pool is used as map_mem() mapped it. */
bool arch_kfence_init_pool(void)
{
	return true;
}
#endif /* CONFIG_KFENCE */
