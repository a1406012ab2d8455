using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Changes a branch's protection or expiration; only the parameters given are sent.</summary>
[Cmdlet(VerbsCommon.Set, "LakebaseBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseBranch), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class SetLakebaseBranchCommand : BranchOperationCmdlet
{
    [Parameter]
    public bool Protected { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan Ttl { get; set; }

    [Parameter]
    public DateTimeOffset ExpireTime { get; set; }

    [Parameter]
    public SwitchParameter NoExpiry { get; set; }

    protected override void ProcessItem()
    {
        var name = BranchName().ToString();
        var bound = MyInvocation.BoundParameters;
        var spec = new BranchSpec();
        var mask = new List<string>();
        if (bound.ContainsKey(nameof(Protected))) { spec.IsProtected = Protected; mask.Add("spec.is_protected"); }
        if (Expiration.IsGiven(bound)) { Expiration.Apply(spec, bound, Ttl, ExpireTime); mask.Add(FieldMask.BranchExpiration); }
        CompleteUpdate<Branch>(name, mask, "give -Protected, -Ttl, -ExpireTime or -NoExpiry",
            (client, cancellationToken) => client.UpdateBranchAsync(name, new Branch { Spec = spec }, mask, cancellationToken),
            branch => new LakebaseBranch(branch));
    }
}
