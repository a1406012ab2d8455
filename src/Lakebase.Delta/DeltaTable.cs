using System.Runtime.CompilerServices;

namespace Lakebase.Delta;

/// <summary>The kinds of rows the Change Data Feed reports.</summary>
public enum ChangeType { Insert, UpdatePreimage, UpdatePostimage, Delete }

/// <summary>One row of the Change Data Feed: the row's schema columns, what happened, and in which commit.</summary>
public sealed record DeltaChange(ChangeType Type, long Version, DateTimeOffset Timestamp, object?[] Values);

/// <summary>
/// A Delta Lake table in a directory. Reads any version of it (<see cref="OpenSnapshotAsync"/>, then
/// <see cref="ReadRowsAsync"/>) and the Change Data Feed between two versions (<see cref="ReadChangesAsync"/>).
/// </summary>
public sealed class DeltaTable
{
    /// <summary>The reader features this reader implements; any other one in the protocol is refused by name.</summary>
    public static readonly IReadOnlySet<string> SupportedReaderFeatures =
        new HashSet<string>(StringComparer.Ordinal) { "deletionVectors", "columnMapping", "timestampNtz", "vacuumProtocolCheck" };

    private readonly DeltaLog log;

    public DeltaTable(string root)
    {
        Root = Path.GetFullPath(root);
        log = new DeltaLog(Root);
    }

    public string Root { get; }

    public long LatestVersion() => log.LatestVersion();

    public async Task<DeltaSnapshot> OpenSnapshotAsync(long? version = null, CancellationToken cancel = default)
    {
        var snapshot = await log.SnapshotAsync(version ?? log.LatestVersion(), cancel);
        CheckReadable(snapshot.Protocol);
        return snapshot;
    }

    /// <summary>Every row of the snapshot, one array per row in schema column order.</summary>
    public async IAsyncEnumerable<object?[]> ReadRowsAsync(DeltaSnapshot snapshot, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        await foreach (var batch in ReadBatchesAsync(snapshot, cancel))
            foreach (var row in batch.Rows())
                yield return row;
    }

    /// <summary>Every row of the snapshot, a row group at a time, column by column in schema order.</summary>
    public async IAsyncEnumerable<ColumnBatch> ReadBatchesAsync(DeltaSnapshot snapshot, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var files = new DataFileReader(Root, snapshot.Metadata);
        foreach (var file in snapshot.Files)
            await foreach (var batch in files.ReadAsync(file, null, cancel))
                yield return batch;
    }

    /// <summary>
    /// The Change Data Feed of versions <paramref name="fromVersion"/> to <paramref name="toVersion"/> inclusive:
    /// a commit's <c>_change_data</c> files where it wrote them, else the rows of the files it added (inserts) and
    /// removed (deletes).
    /// </summary>
    public async IAsyncEnumerable<DeltaChange> ReadChangesAsync(long fromVersion, long toVersion,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        if (fromVersion > toVersion)
            throw new DeltaException($"The change range starts at version {fromVersion}, after its end {toVersion}.");
        var snapshot = await OpenSnapshotAsync(fromVersion, cancel);
        var metadata = snapshot.Metadata;
        for (var v = fromVersion; v <= toVersion; v++)
        {
            var commit = await log.ReadCommitAsync(v, cancel);
            if (commit.Protocol is { } protocol) CheckReadable(protocol);
            metadata = commit.Metadata ?? metadata;
            if (!metadata.ChangeDataFeedEnabled && v > 0)
                throw new DeltaException($"Version {v} of '{Root}' was written without the Change Data Feed (delta.enableChangeDataFeed).");
            var files = new DataFileReader(Root, metadata);
            var width = metadata.Schema.Fields.Count;
            if (commit.ChangeFiles.Count > 0)
            {
                foreach (var cdc in commit.ChangeFiles)
                    await foreach (var batch in files.ReadAsync(cdc, "_change_type", cancel))
                        foreach (var row in batch.Rows())
                            yield return new DeltaChange(ParseChangeType(row[^1] as string), v, commit.Timestamp, row[..width]);
                continue;
            }
            foreach (var (file, type) in commit.Removes.Where(r => r.DataChange).Select(r => (r, ChangeType.Delete))
                         .Concat(commit.Adds.Where(a => a.DataChange).Select(a => (a, ChangeType.Insert))))
                await foreach (var batch in files.ReadAsync(file, null, cancel))
                    foreach (var row in batch.Rows())
                        yield return new DeltaChange(type, v, commit.Timestamp, row);
        }
    }

    private static ChangeType ParseChangeType(string? text) => text switch
    {
        "insert" => ChangeType.Insert,
        "update_preimage" => ChangeType.UpdatePreimage,
        "update_postimage" => ChangeType.UpdatePostimage,
        "delete" => ChangeType.Delete,
        _ => throw new DeltaException($"A change file holds the unknown _change_type '{text}'."),
    };

    private static void CheckReadable(DeltaProtocol protocol)
    {
        if (protocol.MinReaderVersion > 3)
            throw new DeltaUnsupportedFeatureException($"readerVersion{protocol.MinReaderVersion}",
                $"The table needs Delta reader version {protocol.MinReaderVersion}; this reader supports up to 3.");
        foreach (var feature in protocol.ReaderFeatures)
            if (!SupportedReaderFeatures.Contains(feature))
                throw new DeltaUnsupportedFeatureException(feature,
                    $"The table needs the Delta reader feature '{feature}', which this reader does not support.");
    }
}
