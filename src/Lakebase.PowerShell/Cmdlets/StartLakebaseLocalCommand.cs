using System.Management.Automation;
using Lakebase.Client.Local;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Starts Lakebase Local in the background (or returns the one already running for that state root).</summary>
[Cmdlet(VerbsLifecycle.Start, "LakebaseLocal", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseLocalServer))]
public sealed class StartLakebaseLocalCommand : LakebaseCmdlet
{
    [Parameter(Position = 0)]
    public string? StateRoot { get; set; }

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = 8470;

    /// <summary>The folder holding {major}/bin/postgres; missing majors are installed there.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PostgresRoot { get; set; }

    /// <summary>The PostgreSQL majors the server needs (by default those new projects can use).</summary>
    [Parameter]
    [ValidateRange(10, 99)]
    public int[]? PgVersion { get; set; }

    /// <summary>Fails instead of downloading a missing PostgreSQL major.</summary>
    [Parameter]
    public SwitchParameter Offline { get; set; }

    /// <summary>Branches at a past time are overlays on their base snapshot (Linux, as root): made without copying
    /// the data, each file copied up on its first write.</summary>
    [Parameter]
    public SwitchParameter Overlays { get; set; }

    protected override object? Target => StateRoot;

    protected override void ProcessItem()
    {
        var options = LocalServerStart.Options(StateRoot, Port, PostgresRoot, PgVersion, Offline) with { Overlays = Overlays };
        if (!ShouldProcess(StateRoot ?? "the default state root", $"Start Lakebase Local on port {Port}")) return;
        WriteObject(new LakebaseLocalServer(Await(cancellationToken => LocalServer.StartAsync(options, LocalServerStart.Reporter(this), cancellationToken))));
    }
}
