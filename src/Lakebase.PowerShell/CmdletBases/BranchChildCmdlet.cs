using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// A cmdlet that reads a resource inside a branch (endpoint, role, database). The resource is named by its id plus
/// -ProjectId/-BranchId, which bind from a piped branch or resource, or by its full name alone. The same two
/// parameters as <see cref="BranchChildOperationCmdlet"/>, for cmdlets that start no operation.
/// </summary>
public abstract class BranchChildCmdlet : LakebaseCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string? BranchId { get; set; }

    /// <summary>What Get-* does: with an <paramref name="id"/> (the cmdlet's own EndpointId, RoleId, ...), writes that
    /// resource; without, writes each of the branch's.</summary>
    /// <remarks>Generic per call rather than per class: a cmdlet's base type must not name a type from deps/, which
    /// PowerShell inspects before the module's assembly resolver is registered.</remarks>
    private protected void GetOrList<TResource>(ResourceKind kind, string? id, Func<LakebaseClient, string, CancellationToken, Task<TResource>> get,
        Func<LakebaseClient, string, CancellationToken, IAsyncEnumerable<TResource>> list, Func<TResource, object> wrap)
    {
        var client = Client;
        if (id is not null)
        {
            var name = Names.Child(kind, ProjectId, BranchId, id, $"{kind}Id").ToString();
            WriteObject(wrap(Await(cancellationToken => get(client, name, cancellationToken))));
            return;
        }
        var branch = Names.Branch(ProjectId, BranchId ?? throw new ArgumentException("-BranchId is required (or pipe in a branch).", nameof(BranchId))).ToString();
        WriteEach(cancellationToken => list(client, branch, cancellationToken), wrap);
    }
}
