using System.Management.Automation;
using Lakebase.Client.Local;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Stops Lakebase Local and its computes; data and metadata stay on disk for the next start.</summary>
[Cmdlet(VerbsLifecycle.Stop, "LakebaseLocal", SupportsShouldProcess = true)]
public sealed class StopLakebaseLocalCommand : LakebaseCmdlet
{
    [Parameter(Position = 0)]
    public string? StateRoot { get; set; }

    protected override void ProcessItem()
    {
        var server = Await(cancellationToken => LocalServer.FindRunningAsync(StateRoot, cancellationToken));
        if (server is null)
        {
            WriteVerbose("Lakebase Local is not running.");
            return;
        }
        if (!ShouldProcess($"Lakebase Local at {server.ApiUrl} (pid {server.Pid})", "Stop")) return;
        if (ContextStore.Current is { IsLocal: true } current && current.Host == server.ApiUrl) ContextStore.Current = null;
        Await(cancellationToken => LocalServer.StopAsync(server, cancellationToken));
    }
}
