using System.Text.RegularExpressions;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Storage;

/// <summary>
/// What a stopped (or copied) data directory says about itself: its timeline, its last checkpoint, and the first WAL
/// file a start from it replays. A copy made with the backup API starts from its backup_label instead of the control
/// file, so the label wins when there is one.
/// </summary>
internal sealed partial record ControlData(int Timeline, string CheckpointLsn, string FirstWalFile)
{
    public static async Task<ControlData> ReadAsync(PostgresBinaries binaries, ServiceAccount account, string dataDirectory, CancellationToken cancellationToken)
    {
        var output = (await CommandRunner.RunCheckedAsync(account.Wrap([binaries.Tool("pg_controldata"), dataDirectory]), cancellationToken).ConfigureAwait(false))
            .StandardOutput;
        var fields = output.Split('\n').Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim(), StringComparer.Ordinal);
        var firstWalFile = fields["Latest checkpoint's REDO WAL file"];
        var label = Path.Combine(dataDirectory, "backup_label");
        if (File.Exists(label) && BackupStartFile().Match(await File.ReadAllTextAsync(label, cancellationToken).ConfigureAwait(false)) is { Success: true } start)
            firstWalFile = start.Groups[1].Value;
        return new ControlData(int.Parse(fields["Latest checkpoint's TimeLineID"], System.Globalization.CultureInfo.InvariantCulture),
            fields["Latest checkpoint location"], firstWalFile);
    }

    [GeneratedRegex(@"^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)", RegexOptions.Multiline)]
    private static partial Regex BackupStartFile();
}
