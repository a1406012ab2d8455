using System.Text.Json;

namespace Lakebase.Contract.Local;

/// <summary>The PostgreSQL server binaries of one major version, and where they come from: the npm package they
/// were installed from (name@version, from the package.json installed beside them), or this OS's own packaging.</summary>
public sealed record PostgresBinaries(int Major, string BinDirectory, string Source = PostgresBinaries.SystemSource)
{
    public const string SystemSource = "system";

    public string Tool(string name) => Path.Combine(BinDirectory, name);
}

/// <summary>
/// The PostgreSQL majors on this machine (shared by the server, which runs them, and the module, which installs the
/// missing ones before it starts the server), found in a {root}/{major}/bin layout, which the common packagings share:
/// Debian and Ubuntu (/usr/lib/postgresql/16), Postgres.app (Versions/16) and, named postgresql@16, Homebrew; and
/// the packaged builds .ci/bootstrap and Start-LakebaseLocal install (<see cref="PackagedRoot"/>). --pg-root points at another such folder.
/// Lakebase Local runs only initdb, pg_ctl and postgres, which is all the packaged builds have.
/// </summary>
public sealed class PostgresInstallation
{
    private readonly Dictionary<int, PostgresBinaries> _byMajor;

    public PostgresInstallation(IEnumerable<PostgresBinaries> binaries) =>
        _byMajor = binaries.GroupBy(b => b.Major).ToDictionary(g => g.Key, g => g.First());

    /// <summary>Where .ci/bootstrap and Start-LakebaseLocal install the packaged builds: as root on Linux, a folder the unprivileged postgres
    /// account can read (root's home is private); otherwise the per-user data folder, as the user runs PostgreSQL.</summary>
    public static string PackagedRoot => OperatingSystem.IsLinux() && Environment.UserName == "root"
        ? "/usr/local/lib/lakebase-local/postgresql"
        // Create: on a fresh machine the data folder may not exist yet, and without it the path would come back empty.
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "lakebase-local", "postgresql");

    /// <summary>Searched in order when no root is given: the packaged builds, then where this OS's packagings put PostgreSQL.</summary>
    public static IReadOnlyList<string> DefaultRoots { get; } = OperatingSystem.IsMacOS()
        ? [PackagedRoot, "/Applications/Postgres.app/Contents/Versions", "/opt/homebrew/opt", "/usr/local/opt"]
        : [PackagedRoot, "/usr/lib/postgresql"];

    /// <summary>Installed majors, newest first.</summary>
    public IReadOnlyList<int> Majors => _byMajor.Keys.OrderDescending().ToList();

    /// <summary>Every installed major, newest first.</summary>
    public IReadOnlyList<PostgresBinaries> All => _byMajor.Values.OrderByDescending(b => b.Major).ToList();

    public bool TryGet(int major, out PostgresBinaries binaries) => _byMajor.TryGetValue(major, out binaries!);

    public PostgresBinaries Get(int major) => _byMajor.TryGetValue(major, out var binaries)
        ? binaries
        : throw new InvalidOperationException($"PostgreSQL {major} is not installed on this machine (installed: {string.Join(", ", Majors)}).");

    /// <summary>The majors under <paramref name="root"/>, or under the <see cref="DefaultRoots"/>; the first root
    /// holding a major wins.</summary>
    public static PostgresInstallation Discover(string? root)
    {
        var found = new List<PostgresBinaries>();
        foreach (var searchRoot in root is null ? DefaultRoots : [root])
        {
            if (!Directory.Exists(searchRoot)) continue;
            foreach (var directory in Directory.EnumerateDirectories(searchRoot))
            {
                var name = Path.GetFileName(directory);
                if (!int.TryParse(name.StartsWith(HomebrewPrefix, StringComparison.Ordinal) ? name[HomebrewPrefix.Length..] : name, out var major)) continue;
                var binaries = new PostgresBinaries(major, Path.Combine(directory, "bin"), SourceOf(directory));
                if (File.Exists(binaries.Tool("postgres"))) found.Add(binaries);
            }
        }
        return new PostgresInstallation(found);
    }

    /// <summary>name@version of the package a major was installed from, or <see cref="PostgresBinaries.SystemSource"/>.</summary>
    private static string SourceOf(string majorDirectory)
    {
        var manifest = Path.Combine(majorDirectory, "package.json");
        if (!File.Exists(manifest)) return PostgresBinaries.SystemSource;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(manifest));
            var package = document.RootElement;
            return package.TryGetProperty("name", out var name) && package.TryGetProperty("version", out var version)
                ? $"{name.GetString()}@{version.GetString()}"
                : PostgresBinaries.SystemSource;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return PostgresBinaries.SystemSource;
        }
    }

    private const string HomebrewPrefix = "postgresql@";
}
