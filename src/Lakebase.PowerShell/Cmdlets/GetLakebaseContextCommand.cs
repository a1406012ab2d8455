using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Shows the session's default context: who is connected to which workspace, and how.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseContext")]
[OutputType(typeof(LakebaseContext))]
public sealed class GetLakebaseContextCommand : LakebaseCmdlet
{
    protected override void ProcessItem()
    {
        if (ContextStore.Current is { } context) WriteObject(context);
    }
}
