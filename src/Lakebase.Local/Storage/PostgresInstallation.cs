namespace Lakebase.Local.Storage;

/// <summary>The PostgreSQL server binaries of one major version.</summary>
internal sealed record PostgresBinaries(int Major, string BinDirectory)
{
    public string Tool(string name) => Path.Combine(BinDirectory, name);
}

/// <summary>
/// The PostgreSQL majors installed on this machine, found in a {root}/{major}/bin layout, which the common packagings
/// share: Debian and Ubuntu (/usr/lib/postgresql/16), Postgres.app (Versions/16) and, named postgresql@16, Homebrew.
/// --pg-root points at another such folder.
/// </summary>
internal sealed class PostgresInstallation
{
    private readonly Dictionary<int, PostgresBinaries> _byMajor;

    public PostgresInstallation(IEnumerable<PostgresBinaries> binaries) =>
        _byMajor = binaries.GroupBy(b => b.Major).ToDictionary(g => g.Key, g => g.First());

    /// <summary>Where this OS's packagings put PostgreSQL, searched in order when no root is given.</summary>
    public static IReadOnlyList<string> DefaultRoots { get; } = OperatingSystem.IsMacOS()
        ? ["/Applications/Postgres.app/Contents/Versions", "/opt/homebrew/opt", "/usr/local/opt"]
        : ["/usr/lib/postgresql"];

    /// <summary>Installed majors, newest first.</summary>
    public IReadOnlyList<int> Majors => _byMajor.Keys.OrderDescending().ToList();

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
                var binaries = new PostgresBinaries(major, Path.Combine(directory, "bin"));
                if (File.Exists(binaries.Tool("postgres"))) found.Add(binaries);
            }
        }
        return new PostgresInstallation(found);
    }

    private const string HomebrewPrefix = "postgresql@";
}
