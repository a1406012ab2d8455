using System.Text;

namespace Lakebase.Local.Postgres;

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

    /// <summary>Writes {data directory}/lakebase.conf, which postgresql.conf includes; the file is the whole of
    /// what differs between computes.</summary>
    public void WriteTo(string dataDirectory, double currentCu)
    {
        var text = new StringBuilder("# Written by Lakebase Local at every start; edits are overwritten.\n");
        void Set(string key, string value) => text.Append(key).Append(" = ").Append(Quote(value)).Append('\n');

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

    /// <summary>A value as the configuration file reads it: in single quotes, where a backslash starts an escape and a
    /// line break would end the setting; so quotes and backslashes are escaped and control characters refused.</summary>
    public static string Quote(string value) => value.Any(char.IsControl)
        ? throw new ArgumentException("A PostgreSQL setting's value cannot hold control characters.", nameof(value))
        : "'" + value.Replace("\\", "\\\\").Replace("'", "''") + "'";
}
