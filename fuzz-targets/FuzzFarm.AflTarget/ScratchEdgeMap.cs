using System.Runtime.InteropServices;

namespace FuzzFarm.AflTarget;

/// <summary>
/// The instrumented Model and Variants assemblies write every edge to <c>SharpFuzz.Common.Trace.SharedMem</c>, which
/// is null until SharpFuzz attaches AFL's shared memory, so any instrumented code that runs first (the variant
/// catalog, building the machine, and all of <c>--replay</c> and <c>--import</c>) would write through a null
/// pointer. This points the map at a private 64 KiB buffer; under afl-fuzz SharpFuzz replaces it with AFL's map
/// before the first execution.
/// </summary>
internal static unsafe class ScratchEdgeMap
{
    /// <summary>The whole AFL map size: instrumentation indexes it with 16-bit location ids.</summary>
    private const int MapSize = 1 << 16;

    public static void Install()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(MapSize);
    }
}
