using Lakebase.Local.Storage;
using NpgsqlTypes;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>How much of a branch's WAL positions Lakebase's own segment switches account for (16 MiB segments, the
/// default, in a data directory without segments yet).</summary>
public sealed class SegmentSwitchesTests
{
    private const ulong Segment = 16UL << 20;
    private static readonly string DataDirectory = Path.Combine(Path.GetTempPath(), "lakebase-no-such-data-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_switch_skips_the_rest_of_its_segment_and_nothing_from_a_segments_first_record()
    {
        var switches = new SegmentSwitches();
        switches.Note(DataDirectory, new NpgsqlLogSequenceNumber(3 * Segment + 0x120));
        // Right after another switch the insert position is past the new segment's long page header: a no-op.
        switches.Note(DataDirectory, new NpgsqlLogSequenceNumber(4 * Segment + 40));
        switches.Note(DataDirectory, new NpgsqlLogSequenceNumber(5 * Segment));

        Assert.Equal(Segment - 0x120, switches.SkippedSince(DataDirectory, new NpgsqlLogSequenceNumber(3 * Segment)));
    }

    [Fact]
    public void Switches_before_a_snapshot_no_longer_count_and_a_removed_branch_is_forgotten()
    {
        var switches = new SegmentSwitches();
        switches.Note(DataDirectory, new NpgsqlLogSequenceNumber(3 * Segment + 0x100));
        switches.Note(DataDirectory, new NpgsqlLogSequenceNumber(6 * Segment + 0x200));

        Assert.Equal(Segment - 0x200, switches.SkippedSince(DataDirectory, new NpgsqlLogSequenceNumber(6 * Segment + 0x200)));
        Assert.Equal(Segment - 0x200, switches.SkippedSince(DataDirectory, new NpgsqlLogSequenceNumber(3 * Segment)));
        switches.Forget(DataDirectory);
        Assert.Equal(0UL, switches.SkippedSince(DataDirectory, new NpgsqlLogSequenceNumber(3 * Segment)));
    }
}
