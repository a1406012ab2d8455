using System.Collections;
using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using EndpointType = Lakebase.PowerShell.Objects.EndpointType;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Adds a compute to a branch: a read-only replica by default (each branch already has its read-write primary).</summary>
[Cmdlet(VerbsCommon.New, "LakebaseEndpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseEndpoint), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseEndpointCommand : NewBranchChildCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Name")]
    public string EndpointId { get; set; } = "";

    [Parameter]
    public EndpointType Type { get; set; } = EndpointType.ReadOnly;

    [Parameter]
    public double? MinCu { get; set; }

    [Parameter]
    public double? MaxCu { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan? SuspendTimeout { get; set; }

    [Parameter]
    public SwitchParameter NoSuspension { get; set; }

    [Parameter]
    public SwitchParameter Disabled { get; set; }

    /// <summary>PostgreSQL settings for this compute, e.g. @{ log_min_duration_statement = '500' }.</summary>
    [Parameter]
    public Hashtable? PgSetting { get; set; }

    protected override object? Target => EndpointId;

    protected override void ProcessItem()
    {
        var branch = ParentBranch();
        var endpointId = Names.CheckedId(EndpointId, nameof(EndpointId));
        var compute = new ComputeParameters(MinCu, MaxCu, SuspendTimeout, NoSuspension);
        var spec = new EndpointSpec
        {
            EndpointType = WireValues.ToWire(Type),
            Disabled = Disabled ? true : null,
            Settings = PgSetting is null ? null : new EndpointSettings { PgSettings = Settings.FromHashtable(PgSetting) },
        };
        compute.ApplyTo(spec);
        CompleteCreate<Endpoint>($"endpoint {endpointId} on {branch}", Force,
            (client, cancellationToken) => client.CreateEndpointAsync(branch.ToString(), endpointId, new Endpoint { Spec = spec }, Force, cancellationToken),
            endpoint => new LakebaseEndpoint(endpoint));
    }
}
