using System.Runtime.Versioning;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Storage;

/// <summary>
/// Branches at a past time as overlays, with --overlays and where the machine can mount them (Linux, as root, a state
/// root on a file system overlayfs takes as its upper layer, and no reflinks, which make plain copies as cheap). The
/// branch's data directory is an overlay whose lower layer is the base snapshot its restore starts from (hard links to
/// files never written again) and whose upper layer holds what the branch wrote since, each file copied up on its
/// first write. A restore then copies nothing before it replays, whatever the size of the data. Off by default:
/// overlayfs copies a whole file up, and fsyncs it, so a branch's first write to a large table waits for that copy
/// (see the README's Branching measurements).
/// A mount is no state: the layers are, under the branch's folder. Lakebase Local mounts them when it makes the branch
/// and at every start (see Recovery), and unmounts them at an orderly stop and before it removes or quarantines the
/// folder.
/// </summary>
internal sealed class DataOverlays(StateLayout layout, ServiceAccount account, DataDirectoryCopier copier, OverlayOptions options, ILogger<DataOverlays> logger)
{
    public const string OverlayMode = "overlay";
    private const string Folder = "overlay";

    private readonly Lazy<bool> _available = new(() => options.Enabled && Probe(layout, account, copier, options, logger));

    /// <summary>Whether branches at a past time are overlays here; found once by mounting one under the state root.</summary>
    [SupportedOSPlatformGuard("linux")]
    public bool Available => _available.Value;

    /// <summary>
    /// Lays the layers of a branch whose data directory <paramref name="data"/> (in its folder, not mounted yet) is to
    /// start as <paramref name="baseDirectory"/>: the lower layer links the base's files, the upper layer is empty but
    /// for the folders a restore writes into before the start (pg_wal and its archive_status). Returns the upper layer:
    /// what is written there before the mount shows in the data directory once mounted.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public string Stage(string baseDirectory, string data)
    {
        var layers = Path.Combine(Path.GetDirectoryName(data)!, Folder);
        copier.LinkTree(baseDirectory, Path.Combine(layers, "lower"));
        var upper = Path.Combine(layers, "upper");
        // The data directory shows the upper layer's root: owned by the postgres account, with the base's mode.
        var mode = File.GetUnixFileMode(baseDirectory);
        account.CreateOwnedDirectory(upper, mode);
        account.CreateOwnedDirectory(Path.Combine(upper, "pg_wal"), File.GetUnixFileMode(Path.Combine(baseDirectory, "pg_wal")));
        account.CreateOwnedDirectory(Path.Combine(upper, "pg_wal", "archive_status"), File.GetUnixFileMode(Path.Combine(baseDirectory, "pg_wal", "archive_status")));
        Directory.CreateDirectory(Path.Combine(layers, "work"));
        account.CreateOwnedDirectory(data, mode);
        return upper;
    }

    /// <summary>Mounts the data directory of the branch in <paramref name="branchDirectory"/> when it is an overlay that
    /// is not mounted (a new branch, or a start after a stop or a reboot).</summary>
    public void MountIfLayered(string branchDirectory)
    {
        var layers = Path.Combine(branchDirectory, Folder);
        var data = Path.Combine(branchDirectory, StateLayout.DataFolder);
        if (!Directory.Exists(layers) || Mounts.IsMountPoint(data)) return;
        Mounts.MountOverlay(Path.Combine(layers, "lower"), Path.Combine(layers, "upper"), Path.Combine(layers, "work"), data);
    }

    /// <summary>Unmounts every overlay under the branches folder at an orderly stop, once the computes are stopped, so
    /// the state root is a plain tree of files until the next start. One still in use stays mounted.</summary>
    public void UnmountAll()
    {
        foreach (var mountPoint in Mounts.MountPointsUnder(layout.BranchesDirectory))
            if (!Mounts.TryUnmount(mountPoint)) logger.LogWarning("Could not unmount {MountPoint}: still in use", mountPoint);
    }

    private static bool Probe(StateLayout layout, ServiceAccount account, DataDirectoryCopier copier, OverlayOptions options, ILogger<DataOverlays> logger)
    {
        if (!OperatingSystem.IsLinux() || !Posix.IsRoot || copier.Mode == DataDirectoryCopier.ReflinkMode || !Mounts.IsPlainOption(layout.BranchesDirectory))
            return false;
        var probe = Path.Combine(layout.BranchesDirectory, StateLayout.TemporaryPrefix + "overlay-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var data = Path.Combine(probe, StateLayout.DataFolder);
            var lower = Path.Combine(probe, "base");
            Directory.CreateDirectory(Path.Combine(lower, "pg_wal", "archive_status"));
            File.WriteAllText(Path.Combine(lower, "PG_VERSION"), "probe");
            var overlays = new DataOverlays(layout, account, copier, options, logger);
            overlays.Stage(lower, data);
            overlays.MountIfLayered(probe);
            // A write through the mount copies the file up and leaves the lower layer as it was.
            File.AppendAllText(Path.Combine(data, "PG_VERSION"), " written");
            var sound = File.ReadAllText(Path.Combine(probe, Folder, "upper", "PG_VERSION")) == "probe written" &&
                File.ReadAllText(Path.Combine(lower, "PG_VERSION")) == "probe";
            logger.LogInformation("Branches at a past time are {Mode} under {Root}", sound ? "overlays on their base snapshot" : "copies", layout.Root);
            return sound;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogInformation("Branches at a past time are copies: an overlay could not be mounted under {Root} ({Reason})", layout.Root, ex.Message);
            return false;
        }
        finally
        {
            BranchStorage.DeleteDirectory(probe);
        }
    }
}

/// <summary>Whether Lakebase Local makes branches at a past time overlays where it can (--overlays).</summary>
internal sealed record OverlayOptions(bool Enabled);
