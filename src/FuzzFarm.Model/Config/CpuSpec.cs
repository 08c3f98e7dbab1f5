namespace FuzzFarm.Model;

/// <summary>
/// One CPU of the machine. The kernel <em>detects</em> BBML2_NOABORT from an allow-list; the hardware
/// <em>does</em> or does not raise conflict aborts. Today both come from one bit; the BBML3 work (§9) will set
/// them apart (ID-register BBM level, MIDR revision), so they are kept apart here. Variants see only detection;
/// the oracle judges by the hardware.
/// </summary>
/// <param name="Bbml2Detected">The CPU's MIDR is on the BBML2_NOABORT allow-list (what <c>cpu_supports_bbml2_noabort()</c> sees).</param>
/// <param name="Bbml2Hardware">The hardware never raises a TLB conflict abort on a live block resize.</param>
/// <remarks>BBML3 qualification (§9) adds the MIDR revision and ID_AA64MMFR2_EL1.BBM here, with trace keys of their own.</remarks>
public readonly record struct CpuSpec(bool Bbml2Detected, bool Bbml2Hardware)
{
    public static CpuSpec WithBbml2(bool has) => new(has, has);
}
