namespace FuzzFarm.Language;

/// <summary>
/// Why an event cannot follow the events before it. A code rather than a message so that the binary decoder can
/// check events without allocating; <see cref="EventValidator.Describe"/> turns it into text.
/// </summary>
public enum EventViolation : byte
{
    None,
    TooManyEvents,
    UnknownKind,

    /// <summary>A field the event kind does not use is not zero (it would be lost by the text form).</summary>
    UnusedField,
    UnknownPhase,
    PhaseOutOfOrder,
    TaskLabelOutOfRange,
    TaskAlreadyDefined,
    TaskUndefined,
    CpuOutOfRange,
    CpuUpBeforeSmpInit,
    CpuDownBeforeFinalize,
    SecondaryCallBeforeSmpInit,
    UnknownOp,
    UnknownContext,
    PagesOutOfRange,
    OutsideRam,
    KfenceInitLateRange,
    KfenceOff,
    OutsideKfencePool,
    SinglePageOnly,
    KfenceNotLate,
    KfenceInitLateBeforeFinalize,
    DebugPageallocOff,
    KernelMapPagesBeforeMemblockFreeAll,
    EnableNotAllowed,
    BadStop,
    StopNotAllowed,

    // Revision 3.
    GmemOff,
    NotAFolio,
    HotaddOff,
    ArchAddMemoryRange,
    ArchAddMemoryBeforeFinalize,
    ArchAddMemoryTwice,
    HotaddRamNotAdded,
}
