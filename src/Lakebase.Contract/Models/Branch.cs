namespace Lakebase.Contract.Models;

public sealed class Branch
{
    public string? Name { get; set; }
    public string? BranchId { get; set; }
    public string? Parent { get; set; }
    public string? Uid { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public BranchSpec? Spec { get; set; }
    public BranchStatus? Status { get; set; }
}

public sealed class BranchSpec
{
    public string? SourceBranch { get; set; }
    public string? SourceBranchLsn { get; set; }
    public DateTimeOffset? SourceBranchTime { get; set; }
    public bool? IsProtected { get; set; }
    // oneof expiration
    public DateTimeOffset? ExpireTime { get; set; }
    public TimeSpan? Ttl { get; set; }
    public bool? NoExpiry { get; set; }
}

public sealed class BranchStatus
{
    public string? BranchId { get; set; }
    public string? CurrentState { get; set; }
    public string? PendingState { get; set; }
    public DateTimeOffset? StateChangeTime { get; set; }
    public bool? Default { get; set; }
    public bool? IsProtected { get; set; }
    public long? LogicalSizeBytes { get; set; }
    public DateTimeOffset? ExpireTime { get; set; }
    public DateTimeOffset? DeleteTime { get; set; }
    public DateTimeOffset? PurgeTime { get; set; }
    public string? SourceBranch { get; set; }
    public string? SourceBranchLsn { get; set; }
    public DateTimeOffset? SourceBranchTime { get; set; }
}
