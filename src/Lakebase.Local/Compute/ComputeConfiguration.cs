using System.Text;

namespace Lakebase.Local.Compute;

/// <summary>What a compute runs with: where it listens, where it archives WAL, how big it is.</summary>
internal sealed record ComputeConfiguration(
    string SocketDirectory,
    string? ArchiveDirectory,
    double MinCu,
    double MaxCu,
    IReadOnlyDictionary<string, string> UserSettings,
    double ConnectionsCu)
{
    public const string FileName = "lakebase.conf";

    /// <summary>Settings Lakebase Local manages itself; users cannot override them through pg_settings.</summary>
    public static readonly IReadOnlySet<string> ReservedSettings = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions", "unix_socket_group",
        "archive_mode", "archive_library", "archive_command", "basic_archive.archive_directory", "wal_level",
        "data_directory", "hba_file", "ident_file", "config_file", "include", "include_dir", "include_if_exists",
        "shared_preload_libraries", "restore_command", "recovery_target", "recovery_target_time", "recovery_target_lsn",
        "recovery_target_timeline", "recovery_target_action", "primary_conninfo", "logging_collector",
    };

    /// <summary>Writes {data directory}/lakebase.conf, which postgresql.conf includes; the file is the whole of
    /// what differs between computes.</summary>
    public void WriteTo(string dataDirectory, double currentCu)
    {
        var text = new StringBuilder("# Written by Lakebase Local at every start; edits are overwritten.\n");
        void Set(string key, string value) => text.Append(key).Append(" = '").Append(value.Replace("'", "''")).Append("'\n");

        Set("listen_addresses", "");
        Set("port", "5432");
        Set("unix_socket_directories", SocketDirectory);
        Set("unix_socket_permissions", "0700");
        Set("wal_level", "replica");
        Set("max_wal_senders", "10");
        Set("hot_standby", "on");
        Set("jit", "off");
        Set("huge_pages", "off");
        if (ArchiveDirectory is not null)
        {
            Set("archive_mode", "on");
            Set("archive_library", "basic_archive");
            Set("basic_archive.archive_directory", ArchiveDirectory);
        }
        foreach (var (key, value) in ComputeSize.Settings(currentCu, MaxCu, ConnectionsCu)) Set(key, value);
        foreach (var (key, value) in UserSettings) Set(key, value);
        File.WriteAllText(Path.Combine(dataDirectory, FileName), text.ToString());
    }
}
