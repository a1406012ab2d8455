using System.Management.Automation;
using Lakebase.Client.Local;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Loading;
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

    protected override object? Target => StateRoot;

    protected override void ProcessItem()
    {
        var options = new LocalServerStartOptions { StateRoot = StateRoot, Port = Port, ServerPath = ModuleLayout.LocalServerPath };
        if (!ShouldProcess(StateRoot ?? "the default state root", $"Start Lakebase Local on port {Port}")) return;
        WriteObject(new LakebaseLocalServer(Await(cancellationToken => LocalServer.StartAsync(options, cancellationToken))));
    }
}
