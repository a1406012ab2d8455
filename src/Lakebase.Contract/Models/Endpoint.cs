namespace Lakebase.Contract.Models;

public sealed class Endpoint
{
    public string? Name { get; set; }
    public string? EndpointId { get; set; }
    public string? Parent { get; set; }
    public string? Uid { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public EndpointSpec? Spec { get; set; }
    public EndpointStatus? Status { get; set; }
}

public sealed class EndpointSpec
{
    /// <summary>Go sends "" when unset; treat empty as unspecified.</summary>
    public string? EndpointType { get; set; }
    public double? AutoscalingLimitMinCu { get; set; }
    public double? AutoscalingLimitMaxCu { get; set; }
    public bool? Disabled { get; set; }
    // oneof suspension
    public TimeSpan? SuspendTimeoutDuration { get; set; }
    public bool? NoSuspension { get; set; }
    public EndpointGroup? Group { get; set; }
    public EndpointSettings? Settings { get; set; }
}

public sealed class EndpointStatus
{
    public string? EndpointId { get; set; }
    public string? EndpointType { get; set; }
    public string? CurrentState { get; set; }
    public string? PendingState { get; set; }
    public double? AutoscalingLimitMinCu { get; set; }
    public double? AutoscalingLimitMaxCu { get; set; }
    public bool? Disabled { get; set; }
    public TimeSpan? SuspendTimeoutDuration { get; set; }
    public bool? NoSuspension { get; set; }
    public DateTimeOffset? LastActiveTime { get; set; }
    public EndpointSettings? Settings { get; set; }
    public EndpointGroup? Group { get; set; }
    public EndpointHosts? Hosts { get; set; }
}

public sealed class EndpointGroup
{
    public int? Min { get; set; }
    public int? Max { get; set; }
    public bool? EnableReadableSecondaries { get; set; }
}

public sealed class EndpointSettings
{
    public Dictionary<string, string>? PgSettings { get; set; }
}

public sealed class EndpointHosts
{
    public string? Host { get; set; }
    public string? ReadOnlyHost { get; set; }
    public string? ReadOnlyPooledHost { get; set; }
    public string? ReadWritePooledHost { get; set; }
}
