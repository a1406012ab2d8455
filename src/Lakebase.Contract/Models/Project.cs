namespace Lakebase.Contract.Models;

public sealed class Project
{
    public string? Name { get; set; }
    public string? ProjectId { get; set; }
    public string? Uid { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public DateTimeOffset? DeleteTime { get; set; }
    public DateTimeOffset? PurgeTime { get; set; }
    /// <summary>Input only: GET never echoes it; read <see cref="Status"/>.</summary>
    public ProjectSpec? Spec { get; set; }
    public ProjectStatus? Status { get; set; }
    public InitialBranchSpec? InitialBranchSpec { get; set; }
    public InitialEndpointSpec? InitialEndpointSpec { get; set; }
    /// <summary>Create only (preview): the first database's name instead of databricks_postgres.</summary>
    public InitialDatabaseSpec? InitialDatabaseSpec { get; set; }
    /// <summary>Create only (preview): the first role, owner of the first database, instead of one for the caller. Its
    /// fields are a role's spec.</summary>
    public RoleSpec? InitialRoleSpec { get; set; }
}

public sealed class ProjectSpec
{
    public string? DisplayName { get; set; }
    public int? PgVersion { get; set; }
    public TimeSpan? HistoryRetentionDuration { get; set; }
    public ProjectDefaultEndpointSettings? DefaultEndpointSettings { get; set; }
    public string? DefaultBranch { get; set; }
    public string? BudgetPolicyId { get; set; }
    public List<ProjectCustomTag>? CustomTags { get; set; }
    public bool? EnablePgNativeLogin { get; set; }
}

public sealed class ProjectStatus
{
    public long? BranchLogicalSizeLimitBytes { get; set; }
    public string? BudgetPolicyId { get; set; }
    public DateTimeOffset? ComputeLastActiveTime { get; set; }
    public List<ProjectCustomTag>? CustomTags { get; set; }
    public string? DefaultBranch { get; set; }
    public ProjectDefaultEndpointSettings? DefaultEndpointSettings { get; set; }
    public string? DisplayName { get; set; }
    public bool? EnablePgNativeLogin { get; set; }
    public TimeSpan? HistoryRetentionDuration { get; set; }
    public string? Owner { get; set; }
    public int? PgVersion { get; set; }
    public string? ProjectId { get; set; }
    public long? SyntheticStorageSizeBytes { get; set; }
}

public sealed class ProjectDefaultEndpointSettings
{
    public double? AutoscalingLimitMinCu { get; set; }
    public double? AutoscalingLimitMaxCu { get; set; }
    public TimeSpan? SuspendTimeoutDuration { get; set; }
    public bool? NoSuspension { get; set; }
    public Dictionary<string, string>? PgSettings { get; set; }
}

public sealed class ProjectCustomTag
{
    public string? Key { get; set; }
    public string? Value { get; set; }
}

public sealed class InitialBranchSpec
{
    public bool? IsProtected { get; set; }
}

public sealed class InitialEndpointSpec
{
    public double? AutoscalingLimitMinCu { get; set; }
    public double? AutoscalingLimitMaxCu { get; set; }
    public EndpointGroup? Group { get; set; }
    public TimeSpan? SuspendTimeoutDuration { get; set; }
    public bool? NoSuspension { get; set; }
}

public sealed class InitialDatabaseSpec
{
    public string? PostgresDatabase { get; set; }
}
