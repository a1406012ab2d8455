namespace Lakebase.Local.Storage;

/// <summary>The PostgreSQL server binaries of one major version.</summary>
internal sealed record PostgresBinaries(int Major, string BinDirectory)
{
    public string Tool(string name) => Path.Combine(BinDirectory, OperatingSystem.IsWindows() ? name + ".exe" : name);
}

/// <summary>
/// The PostgreSQL majors installed on this machine, found in a {root}/{major}/bin layout: /usr/lib/postgresql on
/// Debian and Ubuntu; elsewhere (Homebrew, EDB installers) point --pg-root at a folder laid out the same way.
/// </summary>
internal sealed class PostgresInstallation
{
    public const string DefaultRoot = "/usr/lib/postgresql";
    private readonly Dictionary<int, PostgresBinaries> _byMajor;

    public PostgresInstallation(IEnumerable<PostgresBinaries> binaries) =>
        _byMajor = binaries.GroupBy(b => b.Major).ToDictionary(g => g.Key, g => g.First());

    /// <summary>Installed majors, newest first.</summary>
    public IReadOnlyList<int> Majors => _byMajor.Keys.OrderDescending().ToList();

    public bool TryGet(int major, out PostgresBinaries binaries) => _byMajor.TryGetValue(major, out binaries!);

    public PostgresBinaries Get(int major) => _byMajor.TryGetValue(major, out var binaries)
        ? binaries
        : throw new InvalidOperationException($"PostgreSQL {major} is not installed on this machine (installed: {string.Join(", ", Majors)}).");

    public static PostgresInstallation Discover(string? root)
    {
        var found = new List<PostgresBinaries>();
        var searchRoot = root ?? DefaultRoot;
        if (Directory.Exists(searchRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(searchRoot))
            {
                var bin = Path.Combine(directory, "bin");
                if (int.TryParse(Path.GetFileName(directory), out var major) && File.Exists(Path.Combine(bin, "postgres")))
                    found.Add(new PostgresBinaries(major, bin));
            }
        }
        return new PostgresInstallation(found);
    }
}
