using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>An endpoint: a branch's compute, with its size limits, suspension and host.</summary>
public sealed class LakebaseEndpoint
{
    internal LakebaseEndpoint(Endpoint endpoint, double? currentCu = null)
    {
        Raw = endpoint;
        var status = endpoint.Status ?? new EndpointStatus();
        Name = endpoint.Name ?? "";
        var name = ResourceName.Parse(Name);
        ProjectId = name.ProjectId;
        BranchId = name.BranchId!;
        EndpointId = name.ChildId!;
        Type = WireValues.Endpoint(status.EndpointType);
        State = status.CurrentState;
        MinCu = status.AutoscalingLimitMinCu;
        MaxCu = status.AutoscalingLimitMaxCu;
        CurrentCu = currentCu;
        SuspendTimeout = status.SuspendTimeoutDuration;
        NoSuspension = status.NoSuspension ?? false;
        Disabled = status.Disabled ?? false;
        Host = status.Hosts?.Host;
        PooledHost = Lakebase.Client.Sql.DatabaseTarget.PooledHostOf(endpoint);
        LastActiveTime = status.LastActiveTime;
    }

    public string Name { get; }
    public string ProjectId { get; }
    public string BranchId { get; }
    public string EndpointId { get; }
    public EndpointType? Type { get; }
    public string? State { get; }
    public double? MinCu { get; }
    public double? MaxCu { get; }
    /// <summary>The size the compute runs at now, within MinCu..MaxCu, as Lakebase Local's autoscaler picked it from
    /// the load; empty while it is suspended, and against a workspace (the service reports only the limits).</summary>
    public double? CurrentCu { get; }
    public TimeSpan? SuspendTimeout { get; }
    public bool NoSuspension { get; }
    public bool Disabled { get; }
    public string? Host { get; }
    /// <summary>The host of the endpoint's connection pooler (PgBouncer in transaction mode): read-write or read-only,
    /// as the endpoint is.</summary>
    public string? PooledHost { get; }
    public DateTimeOffset? LastActiveTime { get; }
    public Endpoint Raw { get; }

    public override string ToString() => Name;
}
