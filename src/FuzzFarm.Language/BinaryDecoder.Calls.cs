using FuzzFarm.Model;

namespace FuzzFarm.Language;

public static partial class BinaryDecoder
{
    // Page counts for pages bytes 240-255: the edges of a PMD block and of its contiguous groups, and the
    // largest ranges a call may cover. A field, not a span property: decoding must not allocate.
    private static readonly ushort[] _edgeCounts =
        [2, 3, 4, 8, 15, 17, 32, 64, 128, 256, 511, 513, 1024, 2048, 4095, MachineEvent.MaxPages];

    private ref partial struct Decoder
    {
        private const uint PmdPages = (uint)(Units.PMD_SIZE / Units.PAGE_SIZE);
        private const int MaxVmallocPages = 32;
        private const uint ContPtePages = (uint)(Units.CONT_PTE_SIZE / Units.PAGE_SIZE);

        private void Call()
        {
            var op = (CallOp)(Next() % _opCount);
            var flags = Next();
            var shape = Next();
            var param = (uint)(Next() | (Next() << 8));
            var pages = Pages(Next());
            var stop = Stop(Next());

            var context = (flags & 1) != 0 ? CallContext.Atomic : CallContext.Task;
            var enable = (flags & 2) != 0;
            var cpu = _validator.Phase < BootPhase.SmpInit ? (byte)0 : (byte)((flags >> 2) % _m.Cpus);
            var page = Address(shape, param);
            op = Repair(op, ref page, ref pages, ref enable, param);
            if (TraceNames.TakesRange(op)) pages = (ushort)Math.Min(pages, PageLimit - page);
            if (TraceNames.IsGmemOp(op)) Folio(ref page, ref pages);
            Emit(MachineEvent.Call(NewLabel(), cpu, context, op, page, pages, enable, stop));
        }

        /// <summary>Turns an operation the machine or the boot cannot take into one it can (see the layout notes).</summary>
        private CallOp Repair(CallOp op, ref uint page, ref ushort pages, ref bool enable, uint param)
        {
            switch (op)
            {
                case CallOp.KfenceProtect or CallOp.KfenceUnprotect when _m.Kfence == KfenceMode.Off:
                    // What kfence_protect_page() itself calls, so the bytes keep their meaning.
                    enable = op == CallOp.KfenceUnprotect;
                    pages = 1;
                    return CallOp.SetMemoryValid;
                case CallOp.KfenceProtect or CallOp.KfenceUnprotect:
                    var poolStart = (uint)(_m.KfencePoolOffset / Units.PAGE_SIZE);
                    var poolPages = (uint)(_m.KfencePoolSize / Units.PAGE_SIZE);
                    if (page < poolStart || page - poolStart >= poolPages) page = poolStart + (param % poolPages);
                    pages = 1;
                    break;
                case CallOp.KfenceInitLate:
                    if (_m.Kfence != KfenceMode.Late || !Reach(BootPhase.Finalize)) return CallOp.SetMemoryValid; // keeps the flags' enable bit
                    page = 0;
                    pages = 0;
                    break;
                case CallOp.KernelMapPages:
                    if (!_m.DebugPagealloc || !Reach(BootPhase.MemblockFreeAll)) return CallOp.SetMemoryValid; // keeps the flags' enable bit
                    break;
                case CallOp.SetDirectMapInvalidNoflush or CallOp.SetDirectMapDefaultNoflush:
                    pages = 1;
                    break;
                case CallOp.GmemFolioZapDirectMap when !_m.GuestMemfd:
                    pages = 1;
                    return CallOp.SetDirectMapInvalidNoflush;
                case CallOp.GmemFolioRestoreDirectMap when !_m.GuestMemfd:
                    enable = true;
                    return CallOp.SetDirectMapValidNoflush;
                case CallOp.ArchAddMemory:
                    if (_hotaddPages == 0 || _validator.HotaddCalled || !Reach(BootPhase.Finalize)) return CallOp.SetMemoryValid; // keeps the flags' enable bit
                    page = 0;
                    pages = 0;
                    break;
                case CallOp.SetMemoryRo or CallOp.SetMemoryRw or CallOp.SetMemoryX or CallOp.SetMemoryNx
                    when pages > MaxVmallocPages:
                    // A vmalloc area of module or BPF size: with rodata_full every backing page is a call of its own,
                    // so huge areas cost hundreds of calls and teach the fuzzer nothing a few pages do not.
                    pages = (ushort)(1 + (pages % MaxVmallocPages));
                    break;
            }

            if (!TraceNames.TakesEnable(op)) enable = false;
            return op;
        }

        /// <summary>Pages a range may reach: RAM, and the hot-add RAM once an arch_add_memory event added it.</summary>
        private readonly uint PageLimit => _ramPages + (_validator.HotaddCalled ? _hotaddPages : 0);

        /// <summary>A guest_memfd folio: a power-of-two page count, the first page aligned to it, inside the limit.</summary>
        private readonly void Folio(ref uint page, ref ushort pages)
        {
            pages = (ushort)(1 << System.Numerics.BitOperations.Log2(Math.Max(pages, (ushort)1)));
            page -= page % pages;
            while (page + pages > PageLimit) pages >>= 1; // halving keeps the page aligned
        }

        /// <summary>A page index inside RAM in one of the shapes of the layout notes.</summary>
        private readonly uint Address(byte shape, uint param)
        {
            var hi = (uint)(shape >> 3);
            ulong page = (shape & 7) switch
            {
                0 => BlockBoundary(hi, param),
                1 => (param % (_ramPages / PmdPages) * PmdPages) + (PmdPages / 2),
                2 => ContGroup(hi, param),
                3 when _m.Kfence != KfenceMode.Off => Region(_m.KfencePoolOffset, _m.KfencePoolSize, param),
                3 => ContGroup(hi, param),
                4 => Region(_m.KaliasOffset, _m.KaliasSize, param),
                5 => ((ulong)param * PageLimit >> 16) + hi,
                6 when _m.SwiotlbSize != 0 => Region(_m.SwiotlbOffset, _m.SwiotlbSize, param),
                6 when _validator.HotaddCalled => Region(_m.RamBytes, _m.HotaddBytes, param),
                _ => ((hi << 16) | param) % PageLimit,
            };
            return (uint)Math.Min(page, PageLimit - 1);
        }

        private readonly ulong BlockBoundary(uint hi, uint param)
        {
            var blockPages = (hi & 3) switch
            {
                0 => PmdPages,
                1 => (uint)(Units.CONT_PMD_SIZE / Units.PAGE_SIZE),
                2 => (uint)(Units.PUD_SIZE / Units.PAGE_SIZE),
                _ => ContPtePages,
            };
            if (blockPages > _ramPages) blockPages = PmdPages; // a 1 GiB block on a small machine: use 2 MiB
            var boundary = (ulong)(param % (_ramPages / blockPages)) * blockPages;
            return ((hi >> 2) & 3) switch
            {
                1 => boundary,
                2 => boundary + 1,
                _ => boundary == 0 ? 0 : boundary - 1,
            };
        }

        private readonly ulong ContGroup(uint hi, uint param) =>
            (ulong)(param % (_ramPages / ContPtePages) * ContPtePages) + (hi % ContPtePages);

        private static ulong Region(ulong offset, ulong size, uint param) =>
            (offset / Units.PAGE_SIZE) + (param % (size / Units.PAGE_SIZE));

        private static ushort Pages(byte b) => b switch
        {
            < 128 => 1,
            < 176 => 16,
            < 208 => 512,
            < 240 => (ushort)(b - 206),
            _ => _edgeCounts[b - 240],
        };
    }
}
