using System.Collections;
using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using IdentityType = Lakebase.PowerShell.Objects.IdentityType;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Creates a project: its production branch, primary endpoint, databricks_postgres database and your role.</summary>
[Cmdlet(VerbsCommon.New, "LakebaseProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseProject), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseProjectCommand : OperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Name")]
    public string ProjectId { get; set; } = "";

    [Parameter]
    public string? DisplayName { get; set; }

    /// <summary>PostgreSQL major version; the default is the newest the service offers.</summary>
    [Parameter]
    public int? PgVersion { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan? HistoryRetention { get; set; }

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
    public SwitchParameter EnablePgNativeLogin { get; set; }

    /// <summary>Protects the production branch from deletion.</summary>
    [Parameter]
    public SwitchParameter ProtectDefaultBranch { get; set; }

    /// <summary>Tags for the project, key = value (the service's custom_tags).</summary>
    [Parameter]
    public Hashtable? CustomTag { get; set; }

    [Parameter]
    public string? BudgetPolicyId { get; set; }

    /// <summary>The first database's name instead of databricks_postgres (preview).</summary>
    [Parameter]
    public string? InitialDatabase { get; set; }

    /// <summary>The first role, which owns the first database, instead of a role for you (preview): any Postgres role
    /// name, or a Databricks identity with -InitialRoleIdentityType.</summary>
    [Parameter]
    public string? InitialRole { get; set; }

    [Parameter]
    public IdentityType? InitialRoleIdentityType { get; set; }

    /// <summary>Create or update: when the resource exists, update it to the given settings instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override object? Target => ProjectId;

    protected override void ProcessItem()
    {
        var projectId = Names.CheckedId(ProjectId, nameof(ProjectId));
        var compute = new ComputeParameters(MinCu, MaxCu, SuspendTimeout, NoSuspension);
        if (InitialRoleIdentityType is not null && InitialRole is null) throw new InvalidParametersException("-InitialRoleIdentityType needs -InitialRole.");
        var project = new Project
        {
            Spec = new ProjectSpec
            {
                DisplayName = DisplayName,
                PgVersion = PgVersion,
                HistoryRetentionDuration = HistoryRetention,
                EnablePgNativeLogin = EnablePgNativeLogin ? true : null,
                DefaultEndpointSettings = compute.ToProjectDefaults(),
                CustomTags = CustomTag is null ? null : Settings.Tags(CustomTag),
                BudgetPolicyId = BudgetPolicyId,
            },
            InitialBranchSpec = ProtectDefaultBranch ? new InitialBranchSpec { IsProtected = true } : null,
            InitialDatabaseSpec = InitialDatabase is null ? null : new InitialDatabaseSpec { PostgresDatabase = InitialDatabase },
            InitialRoleSpec = InitialRole is null ? null : new RoleSpec { PostgresRole = InitialRole, IdentityType = WireValues.ToWire(InitialRoleIdentityType) },
        };
        CompleteCreate<Project>($"project {projectId}", Force,
            (client, cancellationToken) => Force ? client.CreateOrUpdateProjectAsync(projectId, project, cancellationToken) : client.CreateProjectAsync(projectId, project, cancellationToken),
            created => new LakebaseProject(created));
    }
}
