using NpgsqlTypes;

namespace Lakebase.Local.Storage;

/// <summary>
/// The WAL positions Lakebase skips on a running cluster by switching it to its next segment itself (a backup's
/// start and stop, the seal before a restore): the rest of that segment holds no record, so it is not WAL the branch wrote, and
/// does not bring its next base snapshot nearer. Kept in memory, by data directory: after a restart a branch gets its
/// next snapshot at most that much sooner.
/// </summary>
internal sealed class SegmentSwitches
{
    private readonly Dictionary<string, List<(ulong At, ulong Skipped)>> _byDirectory = [];

    /// <summary>A segment's first record starts after its long page header: a switch from there is a no-op.</summary>
    private const ulong LongPageHeaderSize = 40;

    /// <summary>Notes that the cluster on <paramref name="dataDirectory"/> switched segments with its insert position at
    /// <paramref name="at"/>.</summary>
    public void Note(string dataDirectory, NpgsqlLogSequenceNumber at)
    {
        var segmentSize = (ulong)ControlData.WalSegmentSize(dataDirectory);
        var offset = (ulong)at % segmentSize;
        if (offset <= LongPageHeaderSize) return;
        var skipped = segmentSize - offset;
        lock (_byDirectory)
        {
            if (!_byDirectory.TryGetValue(dataDirectory, out var switches)) _byDirectory[dataDirectory] = switches = [];
            switches.Add(((ulong)at, skipped));
        }
    }

    /// <summary>The bytes of WAL positions skipped on <paramref name="dataDirectory"/> after <paramref name="since"/>;
    /// switches before it are forgotten (a branch's base snapshots only move on).</summary>
    public ulong SkippedSince(string dataDirectory, NpgsqlLogSequenceNumber since)
    {
        lock (_byDirectory)
        {
            if (!_byDirectory.TryGetValue(dataDirectory, out var switches)) return 0;
            switches.RemoveAll(entry => entry.At < (ulong)since);
            return switches.Aggregate(0UL, (sum, entry) => sum + entry.Skipped);
        }
    }

    /// <summary>Forgets a data directory removed for good.</summary>
    public void Forget(string dataDirectory)
    {
        lock (_byDirectory) _byDirectory.Remove(dataDirectory);
    }
}
