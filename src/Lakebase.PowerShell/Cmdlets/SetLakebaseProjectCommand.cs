using System.Collections;
using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Changes a project's settings; only the parameters given are sent (the update mask is built from them).</summary>
[Cmdlet(VerbsCommon.Set, "LakebaseProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseProject), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class SetLakebaseProjectCommand : ProjectOperationCmdlet
{
    [Parameter]
    public string? DisplayName { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan HistoryRetention { get; set; }

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
    public bool EnablePgNativeLogin { get; set; }

    /// <summary>The branch (id or name) that becomes the project's default.</summary>
    [Parameter]
    public string? DefaultBranch { get; set; }

    /// <summary>Replaces the project's tags, key = value; an empty hashtable clears them.</summary>
    [Parameter]
    public Hashtable? CustomTag { get; set; }

    [Parameter]
    public string? BudgetPolicyId { get; set; }

    protected override void ProcessItem()
    {
        var name = ProjectName();
        var bound = MyInvocation.BoundParameters;
        var compute = ComputeParameters.FromBound(bound, MinCu, MaxCu, SuspendTimeout, NoSuspension);
        var mask = new List<string>();
        var spec = new ProjectSpec { DefaultEndpointSettings = compute.ToProjectDefaults() };
        if (bound.ContainsKey(nameof(DisplayName))) { spec.DisplayName = DisplayName; mask.Add("spec.display_name"); }
        if (bound.ContainsKey(nameof(HistoryRetention))) { spec.HistoryRetentionDuration = HistoryRetention; mask.Add("spec.history_retention_duration"); }
        if (bound.ContainsKey(nameof(EnablePgNativeLogin))) { spec.EnablePgNativeLogin = EnablePgNativeLogin; mask.Add("spec.enable_pg_native_login"); }
        if (bound.ContainsKey(nameof(DefaultBranch))) { spec.DefaultBranch = Names.Branch(name.ProjectId, DefaultBranch!).ToString(); mask.Add("spec.default_branch"); }
        if (CustomTag is not null) { spec.CustomTags = Settings.Tags(CustomTag); mask.Add("spec.custom_tags"); }
        if (bound.ContainsKey(nameof(BudgetPolicyId))) { spec.BudgetPolicyId = BudgetPolicyId; mask.Add("spec.budget_policy_id"); }
        mask.AddRange(compute.MaskPaths("spec.default_endpoint_settings."));
        CompleteUpdate<Project>(name.ToString(), mask, "give at least one setting",
            (client, cancellationToken) => client.UpdateProjectAsync(name.ToString(), new Project { Spec = spec }, mask, cancellationToken),
            project => new LakebaseProject(project));
    }
}
