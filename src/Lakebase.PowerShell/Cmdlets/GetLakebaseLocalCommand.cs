using System.Management.Automation;
using Lakebase.Client.Local;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Shows the Lakebase Local server running for a state root; nothing when none runs.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseLocal")]
[OutputType(typeof(LakebaseLocalServer))]
public sealed class GetLakebaseLocalCommand : LakebaseCmdlet
{
    [Parameter(Position = 0)]
    public string? StateRoot { get; set; }

    protected override void ProcessItem()
    {
        if (Await(cancellationToken => LocalServer.FindRunningAsync(StateRoot, cancellationToken)) is { } server)
            WriteObject(new LakebaseLocalServer(server));
    }
}
