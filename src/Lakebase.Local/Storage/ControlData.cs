using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lakebase.Local.Storage;

/// <summary>
/// What a stopped (or copied) data directory says about itself: its timeline, its last checkpoint, and the first WAL
/// file a start from it replays. Read from global/pg_control in-process (no pg_controldata, which the packaged builds
/// lack). A copy made with the backup API starts from its backup_label instead of the control file, so the label wins
/// when there is one. <paramref name="UpdateTime"/> is when pg_control was last written, in whole seconds (for a
/// cluster that stopped cleanly: once its shutdown checkpoint was done, after its last commit).
/// </summary>
internal sealed partial record ControlData(int Timeline, string CheckpointLsn, string FirstWalFile, bool ShutDown, string CheckpointWalFile,
    DateTimeOffset UpdateTime)
{
    /// <summary>pg_control_version of the layouts read here: 1300 for PostgreSQL 13 to 16, 1700 for 17, 1800 for 18.
    /// Every one begins alike: system identifier (8 bytes), pg_control_version, catalog version, state, 4 bytes of
    /// padding, time (8, seconds since the epoch), then the checkpoint's location (8) and the checkpoint record itself, whose first fields are
    /// its redo location (8) and its timeline (4).</summary>
    private static readonly int[] KnownVersions = [1300, 1700, 1800];
    private const int VersionOffset = 8;
    private const int StateOffset = 16;
    private const int TimeOffset = 24;
    /// <summary>DBState values of a cluster that stopped cleanly (DB_SHUTDOWNED, DB_SHUTDOWNED_IN_RECOVERY): a start
    /// needs only the WAL of its last checkpoint.</summary>
    private static readonly int[] ShutDownStates = [1, 2];
    /// <summary>More than a shutdown checkpoint record takes, so the segment its end falls in is counted too.</summary>
    private const ulong CheckpointRecordBound = 512;
    private const int CheckpointOffset = 32;
    private const int RedoOffset = 40;
    private const int TimelineOffset = 48;
    private const long DefaultWalSegmentSize = 16L * 1024 * 1024;

    public static ControlData Read(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "global", "pg_control");
        var bytes = File.ReadAllBytes(file).AsSpan();
        if (bytes.Length < TimelineOffset + 4 || !KnownVersions.Contains(BinaryPrimitives.ReadInt32LittleEndian(bytes[VersionOffset..])))
            throw new InvalidDataException($"{file} is not a control file of a PostgreSQL version Lakebase Local knows.");
        var checkpoint = BinaryPrimitives.ReadUInt64LittleEndian(bytes[CheckpointOffset..]);
        var redo = BinaryPrimitives.ReadUInt64LittleEndian(bytes[RedoOffset..]);
        var timeline = BinaryPrimitives.ReadInt32LittleEndian(bytes[TimelineOffset..]);
        var segmentSize = WalSegmentSize(dataDirectory);
        var firstWalFile = WalFileName(timeline, redo, segmentSize);
        var shutDown = ShutDownStates.Contains(BinaryPrimitives.ReadInt32LittleEndian(bytes[StateOffset..]));
        var label = Path.Combine(dataDirectory, "backup_label");
        if (File.Exists(label)) firstWalFile = BackupStartFile(File.ReadAllText(label));
        return new ControlData(timeline, FormatLsn(checkpoint), firstWalFile, shutDown, WalFileName(timeline, checkpoint + CheckpointRecordBound, segmentSize),
            DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64LittleEndian(bytes[TimeOffset..])));
    }

    /// <summary>The name of the WAL segment holding <paramref name="lsn"/> on <paramref name="timeline"/> (XLogFileName).</summary>
    public static string WalFileName(int timeline, ulong lsn, long segmentSize)
    {
        var segment = lsn / (ulong)segmentSize;
        var segmentsPerId = 0x1_0000_0000UL / (ulong)segmentSize;
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segment / segmentsPerId:X8}{segment % segmentsPerId:X8}");
    }

    /// <summary>The cluster's WAL segment size, from a segment file's length (segments are always allocated whole);
    /// Lakebase Local runs initdb with the default.</summary>
    public static long WalSegmentSize(string dataDirectory)
    {
        var walDirectory = Path.Combine(dataDirectory, "pg_wal");
        var segment = Directory.Exists(walDirectory)
            ? Directory.EnumerateFiles(walDirectory).Select(path => new FileInfo(path)).FirstOrDefault(file => WalSegmentName().IsMatch(file.Name))
            : null;
        return segment is { Length: > 0 } found && long.IsPow2(found.Length) ? found.Length : DefaultWalSegmentSize;
    }

    /// <summary>A segment's place in the WAL, whatever its timeline: the 16 hex digits after the timeline's 8, which
    /// order segments as strings do.</summary>
    public static string WalPosition(string walFileName) => walFileName[8..24];

    private static string FormatLsn(ulong lsn) => string.Create(CultureInfo.InvariantCulture, $"{lsn >> 32:X}/{lsn & 0xFFFF_FFFF:X}");

    /// <summary>The first WAL segment a backup's start replays, from its backup_label.</summary>
    public static string BackupStartFile(string backupLabel) => BackupStart().Match(backupLabel) is { Success: true } start
        ? start.Groups[1].Value
        : throw new InvalidDataException("The backup label names no start WAL location.");

    [GeneratedRegex(@"^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)", RegexOptions.Multiline)]
    private static partial Regex BackupStart();

    [GeneratedRegex(@"\A[0-9A-F]{24}\z")]
    public static partial Regex WalSegmentName();
}
