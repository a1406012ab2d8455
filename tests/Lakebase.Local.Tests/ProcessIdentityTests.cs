using System.Diagnostics;
using Lakebase.Local.Postgres;
using Lakebase.Local.Compute;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>A postmaster.pid is only a claim: after a reboot, a container restart or a copy of the file, its pid can
/// be any process, which must then be neither adopted nor signalled.</summary>
public sealed class ProcessIdentityTests : IDisposable
{
    private readonly string _data = Path.Combine(LocalServerProcess.NewRoot(), "pgdata");
    private readonly Process _stranger = Process.Start("sleep", ["300"]);

    public ProcessIdentityTests()
    {
        Directory.CreateDirectory(_data);
        // A pid file as PostgreSQL writes it (pid, data directory, start time, port, socket directory, listen
        // address, shared memory key, status), naming a live process that is no postmaster of this directory.
        File.WriteAllLines(Path.Combine(_data, "postmaster.pid"), [_stranger.Id.ToString(), _data, "1700000000", "5432", "/tmp", "", "0 0", "ready   "]);
    }

    [Fact]
    public void A_pid_file_naming_another_process_is_not_adopted()
    {
        Assert.Null(PostgresProcess.Adopt(_data));
    }

    [Fact]
    public async Task A_pid_file_naming_another_process_does_not_get_it_signalled()
    {
        await PostgresProcess.KillAsync(_data);
        // A signalled process is reaped asynchronously; a second is ample for a SIGQUIT to show.
        Assert.False(_stranger.WaitForExit(TimeSpan.FromSeconds(1)));
    }

    public void Dispose()
    {
        _stranger.Kill();
        _stranger.Dispose();
        Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true);
    }
}
