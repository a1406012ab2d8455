using System.Collections;
using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Resizes or reconfigures an endpoint. Only the parameters given are sent: -MinCu 2 -MaxCu 8 sends exactly
/// spec.autoscaling_limit_min_cu and spec.autoscaling_limit_max_cu; -SuspendTimeout/-NoSuspension send spec.suspension.
/// </summary>
[Cmdlet(VerbsCommon.Set, "LakebaseEndpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseEndpoint), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class SetLakebaseEndpointCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(EndpointIdCompleter))]
    public string EndpointId { get; set; } = "";

    [Parameter]
    public double MinCu { get; set; }

    [Parameter]
    public double MaxCu { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan SuspendTimeout { get; set; }

    [Parameter]
    public SwitchParameter NoSuspension { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    [Parameter]
    public Hashtable? PgSetting { get; set; }

    protected override object? Target => EndpointId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Endpoint, EndpointId, nameof(EndpointId)).ToString();
        var bound = MyInvocation.BoundParameters;
        var compute = ComputeParameters.FromBound(bound, MinCu, MaxCu, SuspendTimeout, NoSuspension);
        var spec = new EndpointSpec();
        compute.ApplyTo(spec);
        var mask = compute.MaskPaths("spec.").ToList();
        if (bound.ContainsKey(nameof(Disabled))) { spec.Disabled = Disabled; mask.Add("spec.disabled"); }
        if (PgSetting is not null) { spec.Settings = new EndpointSettings { PgSettings = Settings.FromHashtable(PgSetting) }; mask.Add("spec.settings.pg_settings"); }
        CompleteUpdate<Endpoint>(name, mask, "give -MinCu, -MaxCu, -SuspendTimeout, -NoSuspension, -Disabled or -PgSetting",
            (client, cancellationToken) => client.UpdateEndpointAsync(name, new Endpoint { Spec = spec }, mask, cancellationToken),
            endpoint => new LakebaseEndpoint(endpoint));
    }
}
