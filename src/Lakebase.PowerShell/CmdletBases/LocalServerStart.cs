using System.Globalization;
using System.Management.Automation;
using Lakebase.Client.Local;
using Lakebase.PowerShell.Loading;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>What Start-LakebaseLocal and Connect-Lakebase -Local share: the start options their parameters make, and
/// how an install of PostgreSQL shows (a progress bar while it downloads, what it found in the verbose stream, what
/// it installed as a host message).</summary>
internal static class LocalServerStart
{
    public static LocalServerStartOptions Options(string? stateRoot, int port, string? postgresRoot, int[]? pgVersion, bool offline) => new()
    {
        StateRoot = stateRoot,
        Port = port,
        ServerPath = ModuleLayout.LocalServerPath,
        PostgresRoot = postgresRoot,
        Postgres = pgVersion is { Length: > 0 } ? new PostgresProvisioning { Majors = pgVersion, Offline = offline } : new PostgresProvisioning { Offline = offline },
    };

    public static IProgress<PostgresInstallProgress> Reporter(LakebaseCmdlet cmdlet) => new InstallReporter(cmdlet);

    private sealed class InstallReporter(LakebaseCmdlet cmdlet) : IProgress<PostgresInstallProgress>
    {
        private readonly int _progressId = Math.Abs(cmdlet.GetHashCode());

        public void Report(PostgresInstallProgress value) => cmdlet.Post(() => Write(value));

        private void Write(PostgresInstallProgress value)
        {
            var activity = $"Installing PostgreSQL {value.Major}";
            switch (value.Step)
            {
                case PostgresInstallStep.Found:
                    cmdlet.WriteVerbose($"PostgreSQL {value.Major}: {value.Source}, {value.Directory}.");
                    break;
                case PostgresInstallStep.Downloading:
                    cmdlet.WriteProgress(new ProgressRecord(_progressId, activity,
                        string.Create(CultureInfo.InvariantCulture, $"Downloading {value.Source}: {value.Bytes / Megabyte:0.0} of {(value.TotalBytes ?? 0) / Megabyte:0.0} MB"))
                    {
                        PercentComplete = value.TotalBytes is > 0 ? (int)(100 * value.Bytes / value.TotalBytes.Value) : -1,
                    });
                    break;
                case PostgresInstallStep.Unpacking:
                    cmdlet.WriteProgress(new ProgressRecord(_progressId, activity, $"Unpacking into {value.Directory}"));
                    break;
                case PostgresInstallStep.Installed:
                    cmdlet.WriteProgress(new ProgressRecord(_progressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
                    cmdlet.WriteInformation(new HostInformationMessage { Message = $"PostgreSQL {value.Major}: installed {value.Source} from the npm registry, in {value.Directory}." },
                        ["PSHOST"]);
                    break;
            }
        }

        private const double Megabyte = 1024 * 1024;
    }
}
