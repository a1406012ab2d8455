using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A project as PowerShell shows it: the effective settings (the service's status) with friendly types.</summary>
public sealed class LakebaseProject
{
    internal LakebaseProject(Project project)
    {
        Raw = project;
        var status = project.Status ?? new ProjectStatus();
        Name = project.Name ?? "";
        ProjectId = project.ProjectId ?? ResourceName.Parse(Name).ProjectId;
        DisplayName = status.DisplayName;
        PgVersion = status.PgVersion;
        DefaultBranch = status.DefaultBranch;
        Owner = status.Owner;
        HistoryRetention = status.HistoryRetentionDuration;
        MinCu = status.DefaultEndpointSettings?.AutoscalingLimitMinCu;
        MaxCu = status.DefaultEndpointSettings?.AutoscalingLimitMaxCu;
        SuspendTimeout = status.DefaultEndpointSettings?.SuspendTimeoutDuration;
        EnablePgNativeLogin = status.EnablePgNativeLogin ?? false;
        CustomTags = (status.CustomTags ?? []).Where(tag => tag.Key is not null).ToDictionary(tag => tag.Key!, tag => tag.Value ?? "");
        BudgetPolicyId = status.BudgetPolicyId;
        CreateTime = project.CreateTime;
        DeleteTime = project.DeleteTime;
        PurgeTime = project.PurgeTime;
    }

    public string Name { get; }
    public string ProjectId { get; }
    public string? DisplayName { get; }
    public int? PgVersion { get; }
    public string? DefaultBranch { get; }
    public string? Owner { get; }
    public TimeSpan? HistoryRetention { get; }
    /// <summary>Defaults for new endpoints.</summary>
    public double? MinCu { get; }
    public double? MaxCu { get; }
    public TimeSpan? SuspendTimeout { get; }
    public bool EnablePgNativeLogin { get; }
    public IReadOnlyDictionary<string, string> CustomTags { get; }
    public string? BudgetPolicyId { get; }
    public DateTimeOffset? CreateTime { get; }
    public DateTimeOffset? DeleteTime { get; }
    public DateTimeOffset? PurgeTime { get; }
    /// <summary>The resource exactly as the API returned it.</summary>
    public Project Raw { get; }

    public override string ToString() => Name;
}
