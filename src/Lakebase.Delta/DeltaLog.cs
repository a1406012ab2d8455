using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lakebase.Delta;

/// <summary>One commit's actions, as written in its JSON file.</summary>
public sealed record DeltaCommit(long Version, DateTimeOffset Timestamp, IReadOnlyList<DeltaFile> Adds,
    IReadOnlyList<DeltaFile> Removes, IReadOnlyList<DeltaFile> ChangeFiles, DeltaMetadata? Metadata, DeltaProtocol? Protocol);

/// <summary>The table state at one version: the active files after replaying the log.</summary>
public sealed record DeltaSnapshot(long Version, DateTimeOffset Timestamp, DeltaMetadata Metadata, DeltaProtocol Protocol,
    IReadOnlyList<DeltaFile> Files);

/// <summary>
/// Replays <c>_delta_log</c>: the newest complete checkpoint at or below the version (from
/// <c>_last_checkpoint</c> or the listing; single or multi-part Parquet), then the JSON commits after it.
/// </summary>
internal sealed partial class DeltaLog(string tableRoot)
{
    private readonly string logDir = Path.Combine(tableRoot, "_delta_log");

    [GeneratedRegex(@"^(\d{20})\.json$")]
    private static partial Regex CommitFile();

    [GeneratedRegex(@"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$")]
    private static partial Regex CheckpointFile();

    public IReadOnlyList<long> CommitVersions()
    {
        if (!Directory.Exists(logDir))
            throw new DeltaException($"'{tableRoot}' is not a Delta table: it has no _delta_log directory.");
        return Directory.EnumerateFiles(logDir)
            .Select(f => CommitFile().Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .Order().ToList();
    }

    /// <summary>The latest version: the newest commit, or a checkpoint past it when older commits were cleaned up.</summary>
    public long LatestVersion()
    {
        var commits = CommitVersions();
        var checkpoint = Checkpoints().Select(c => c.Version).DefaultIfEmpty(-1).Max();
        var latest = Math.Max(commits.Count > 0 ? commits[^1] : -1, checkpoint);
        return latest >= 0 ? latest : throw new DeltaException($"'{tableRoot}' has an empty _delta_log.");
    }

    public async Task<DeltaSnapshot> SnapshotAsync(long version, CancellationToken cancel)
    {
        var checkpoint = ChooseCheckpoint(version);
        var files = new Dictionary<string, DeltaFile>(StringComparer.Ordinal);
        DeltaMetadata? metadata = null;
        DeltaProtocol? protocol = null;
        long from = 0;
        if (checkpoint is not null)
        {
            foreach (var action in await CheckpointReader.ReadAsync(checkpoint.Parts, cancel))
                Apply(action, files, ref metadata, ref protocol);
            from = checkpoint.Version + 1;
        }
        var timestamp = DateTimeOffset.MinValue;
        for (var v = from; v <= version; v++)
        {
            var commit = await ReadCommitAsync(v, cancel);
            foreach (var r in commit.Removes) files.Remove(r.ReplayKey);
            foreach (var a in commit.Adds) files[a.ReplayKey] = a;
            metadata = commit.Metadata ?? metadata;
            protocol = commit.Protocol ?? protocol;
            timestamp = commit.Timestamp;
        }
        if (metadata is null || protocol is null)
            throw new DeltaException($"The log of '{tableRoot}' has no metaData or protocol action up to version {version}.");
        if (timestamp == DateTimeOffset.MinValue && checkpoint is not null)
            timestamp = File.GetLastWriteTimeUtc(checkpoint.Parts[0]);
        return new DeltaSnapshot(version, timestamp, metadata, protocol, files.Values.ToList());
    }

    private static void Apply(JsonObject action, Dictionary<string, DeltaFile> files, ref DeltaMetadata? metadata, ref DeltaProtocol? protocol)
    {
        if (action["add"] is JsonObject add) { var f = DeltaFile.Parse(add); files[f.ReplayKey] = f; }
        if (action["remove"] is JsonObject remove) files.Remove(DeltaFile.Parse(remove).ReplayKey);
        if (action["metaData"] is JsonObject meta) metadata = DeltaMetadata.Parse(meta);
        if (action["protocol"] is JsonObject proto) protocol = DeltaProtocol.Parse(proto);
    }

    public async Task<DeltaCommit> ReadCommitAsync(long version, CancellationToken cancel)
    {
        var path = Path.Combine(logDir, $"{version:D20}.json");
        if (!File.Exists(path))
            throw new DeltaException($"Version {version} of '{tableRoot}' is not in its log (no {Path.GetFileName(path)}).");
        List<DeltaFile> adds = [], removes = [], cdcs = [];
        DeltaMetadata? metadata = null;
        DeltaProtocol? protocol = null;
        long? timestamp = null;
        foreach (var line in await File.ReadAllLinesAsync(path, cancel))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var action = JsonNode.Parse(line)!.AsObject();
            if (action["add"] is JsonObject add) adds.Add(DeltaFile.Parse(add));
            if (action["remove"] is JsonObject remove) removes.Add(DeltaFile.Parse(remove));
            if (action["cdc"] is JsonObject cdc) cdcs.Add(DeltaFile.Parse(cdc));
            if (action["metaData"] is JsonObject meta) metadata = DeltaMetadata.Parse(meta);
            if (action["protocol"] is JsonObject proto) protocol = DeltaProtocol.Parse(proto);
            if (action["commitInfo"] is JsonObject info)
                timestamp = (long?)info["inCommitTimestamp"] ?? (long?)info["timestamp"];
        }
        var time = timestamp is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        return new DeltaCommit(version, time, adds, removes, cdcs, metadata, protocol);
    }

    private sealed record Checkpoint(long Version, IReadOnlyList<string> Parts);

    private IEnumerable<Checkpoint> Checkpoints()
    {
        if (!Directory.Exists(logDir)) yield break;
        var parts = Directory.EnumerateFiles(logDir)
            .Select(f => (File: f, Match: CheckpointFile().Match(Path.GetFileName(f))))
            .Where(x => x.Match.Success)
            .GroupBy(x => (Version: long.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture),
                Count: x.Match.Groups[3].Success ? int.Parse(x.Match.Groups[3].Value, CultureInfo.InvariantCulture) : 1));
        foreach (var group in parts)
        {
            var files = group.OrderBy(x => x.File, StringComparer.Ordinal).Select(x => x.File).ToList();
            if (files.Count == group.Key.Count) yield return new Checkpoint(group.Key.Version, files);
        }
    }

    private Checkpoint? ChooseCheckpoint(long version)
    {
        // _last_checkpoint names the newest one; use it when it is at or below the version asked for.
        var hintPath = Path.Combine(logDir, "_last_checkpoint");
        if (File.Exists(hintPath) && JsonNode.Parse(File.ReadAllText(hintPath)) is JsonObject hint
            && (long?)hint["version"] is { } hinted && hinted <= version)
        {
            var parts = (int?)hint["parts"];
            var files = parts is { } n
                ? Enumerable.Range(1, n).Select(i => Path.Combine(logDir, $"{hinted:D20}.checkpoint.{i:D10}.{n:D10}.parquet")).ToList()
                : [Path.Combine(logDir, $"{hinted:D20}.checkpoint.parquet")];
            if (files.All(File.Exists)) return new Checkpoint(hinted, files);
        }
        return Checkpoints().Where(c => c.Version <= version).MaxBy(c => c.Version);
    }
}
