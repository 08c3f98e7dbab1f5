namespace FuzzFarm.Model;

/// <summary>The arm64 <c>rodata=</c> early parameter (after "arm64: introduce rodata=noalias").</summary>
public enum RodataMode : byte
{
    /// <summary><c>rodata=on</c> (default): rodata_enabled and rodata_full.</summary>
    On,

    /// <summary><c>rodata=noalias</c>: rodata_enabled, not rodata_full (the historical "on").</summary>
    NoAlias,

    /// <summary><c>rodata=off</c>.</summary>
    Off,
}

/// <summary>How KFENCE gets its pool.</summary>
public enum KfenceMode : byte
{
    Off,

    /// <summary>kfence_early_init: pool reserved by memblock in map_mem and page-mapped there.</summary>
    Early,

    /// <summary>kfence_init_late(): pool from the buddy allocator after boot, possibly inside blocks.</summary>
    Late,
}

/// <summary>Secondary bring-up scheme (§4.5 caveat).</summary>
public enum BringupMode : byte
{
    /// <summary>Today's kernel: _cpu_up() holds cpu_hotplug_lock for write across the whole bring-up.</summary>
    Serial,

    /// <summary>Proposed parallel bring-up: the lock is released between the MMU-on pass and the online pass.</summary>
    Parallel,
}

/// <summary>Which pageattr walker the machine runs (15bfba1ad77f "Handle invalid large leaf mappings correctly").</summary>
public enum WalkerMode : byte
{
    /// <summary>After 15bfba1ad77f: any leaf, valid or present-invalid, is a leaf (<c>p?d_leaf</c>).</summary>
    Leaf,

    /// <summary>Before 15bfba1ad77f: only valid blocks are leaves (<c>p?d_sect</c>); invalid blocks are skipped.</summary>
    Sect,
}

/// <summary>The environment assumption a campaign or replay runs under (§2c).</summary>
public enum EnvMode : byte
{
    /// <summary>Everything the hardware and locking allow; findings list the assumptions they need.</summary>
    Adversarial,

    /// <summary>Only what the kernel is known to do: findings that need an assumption are not reported.</summary>
    Strict,
}
