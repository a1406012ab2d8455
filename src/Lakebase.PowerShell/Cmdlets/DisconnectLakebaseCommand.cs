using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Forgets the session's default context (or the one given) and releases its connections.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "Lakebase")]
public sealed class DisconnectLakebaseCommand : LakebaseCmdlet
{
    protected override void ProcessItem()
    {
        var context = Context ?? ContextStore.Current;
        if (context is null) return;
        if (ReferenceEquals(context, ContextStore.Current)) ContextStore.Current = null;
        Await(_ => context.CloseAsync());
    }
}
