using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A branch: a copy-on-write copy of its source, with its state, expiry and where it came from.</summary>
public sealed class LakebaseBranch
{
    internal LakebaseBranch(Branch branch)
    {
        Raw = branch;
        var status = branch.Status ?? new BranchStatus();
        Name = branch.Name ?? "";
        var name = ResourceName.Parse(Name);
        ProjectId = name.ProjectId;
        BranchId = name.BranchId!;
        State = status.CurrentState;
        IsDefault = status.Default ?? false;
        IsProtected = status.IsProtected ?? false;
        ExpireTime = status.ExpireTime;
        SourceBranch = status.SourceBranch;
        SourceBranchLsn = status.SourceBranchLsn;
        SourceBranchTime = status.SourceBranchTime;
        LogicalSizeBytes = status.LogicalSizeBytes;
        CreateTime = branch.CreateTime;
        DeleteTime = status.DeleteTime;
    }

    public string Name { get; }
    public string ProjectId { get; }
    public string BranchId { get; }
    public string? State { get; }
    public bool IsDefault { get; }
    public bool IsProtected { get; }
    /// <summary>Null when the branch never expires.</summary>
    public DateTimeOffset? ExpireTime { get; }
    public string? SourceBranch { get; }
    public string? SourceBranchLsn { get; }
    public DateTimeOffset? SourceBranchTime { get; }
    public long? LogicalSizeBytes { get; }
    public DateTimeOffset? CreateTime { get; }
    public DateTimeOffset? DeleteTime { get; }
    public Branch Raw { get; }

    public override string ToString() => Name;
}
