using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>Projects: a project is a set of real PostgreSQL clusters, one per branch, starting with production.</summary>
internal sealed class ProjectService(Provisioning provisioning, OperationRunner operations)
{
    private Catalog Catalog => provisioning.Catalog;
    private LocalLimits Limits => provisioning.Limits;

    public Operation Create(string? projectId, Project body, Principal caller)
    {
        Validation.RequireId("project_id", projectId);
        var spec = body.Spec ?? new ProjectSpec();
        var major = spec.PgVersion ?? Limits.PgVersions[0];
        if (!Limits.PgVersions.Contains(major))
            throw ApiException.InvalidParameter($"pg_version {major} is not supported; supported versions: {string.Join(", ", Limits.PgVersions.Order())}.");
        if (!provisioning.Storage.Installation.TryGet(major, out _))
            throw new ApiException(ErrorCodes.TemporarilyUnavailable,
                $"PostgreSQL {major} is not installed on this machine; run .ci/bootstrap, or install it with this OS's packages.");
        if (spec.DisplayName is { Length: 0 or > 256 })
            throw ApiException.InvalidParameter("display_name must be 1 to 256 characters.");
        ValidateRetention(spec.HistoryRetentionDuration);
        var defaults = spec.DefaultEndpointSettings ?? new ProjectDefaultEndpointSettings();
        ValidateEndpointDefaults(defaults, "spec.default_endpoint_settings.");
        if (body.InitialRoleSpec is not null && string.IsNullOrEmpty(body.InitialRoleSpec.PostgresRole)) throw ApiException.Required("project.initial_role_spec.postgres_role");
        if (body.InitialDatabaseSpec is { PostgresDatabase: { } initialDatabase } && (initialDatabase.Length == 0 || initialDatabase.Any(char.IsControl)))
            throw ApiException.InvalidParameter("initial_database_spec.postgres_database must be a name without control characters.");
        var initialEndpoint = body.InitialEndpointSpec;
        if (initialEndpoint is not null)
        {
            Validation.ComputeLimits(initialEndpoint.AutoscalingLimitMinCu, initialEndpoint.AutoscalingLimitMaxCu, "initial_endpoint_spec.");
            Validation.Suspension(Limits, initialEndpoint.SuspendTimeoutDuration, initialEndpoint.NoSuspension, "initial_endpoint_spec.");
        }

        var name = ResourceName.Project(projectId!);
        var now = Catalog.Now();
        var branchName = $"{name}/branches/{Provisioning.DefaultBranchId}";
        var project = new Project
        {
            Name = name.ToString(),
            ProjectId = projectId,
            Uid = Validation.NewUid("prj"),
            CreateTime = now,
            UpdateTime = now,
            Status = new ProjectStatus
            {
                ProjectId = projectId,
                DisplayName = spec.DisplayName ?? projectId,
                PgVersion = major,
                HistoryRetentionDuration = spec.HistoryRetentionDuration ?? Limits.DefaultHistoryRetention,
                DefaultEndpointSettings = new ProjectDefaultEndpointSettings
                {
                    AutoscalingLimitMinCu = defaults.AutoscalingLimitMinCu ?? Limits.DefaultEndpointCu,
                    AutoscalingLimitMaxCu = defaults.AutoscalingLimitMaxCu ?? Limits.DefaultEndpointCu,
                    SuspendTimeoutDuration = defaults.NoSuspension == true ? null : defaults.SuspendTimeoutDuration ?? Limits.DefaultSuspendTimeout,
                    NoSuspension = defaults.NoSuspension,
                    PgSettings = defaults.PgSettings,
                },
                DefaultBranch = branchName,
                EnablePgNativeLogin = spec.EnablePgNativeLogin ?? false,
                BudgetPolicyId = spec.BudgetPolicyId,
                CustomTags = spec.CustomTags,
                BranchLogicalSizeLimitBytes = Limits.BranchLogicalSizeLimitBytes,
                SyntheticStorageSizeBytes = 0,
                Owner = caller.UserName,
            },
        };
        var branch = new Branch
        {
            Name = branchName,
            BranchId = Provisioning.DefaultBranchId,
            Parent = name.ToString(),
            Uid = Validation.NewUid("br"),
            CreateTime = now,
            UpdateTime = now,
            Status = new BranchStatus
            {
                BranchId = Provisioning.DefaultBranchId,
                CurrentState = BranchState.Init,
                StateChangeTime = now,
                IsProtected = body.InitialBranchSpec?.IsProtected ?? false,
            },
        };
        var endpointDefaults = project.Status.DefaultEndpointSettings;
        var endpoint = initialEndpoint is null
            ? provisioning.NewPrimaryEndpoint(branchName, endpointDefaults)
            : provisioning.NewEndpoint(branchName, Provisioning.PrimaryEndpointId, EndpointType.ReadWrite,
                initialEndpoint.AutoscalingLimitMinCu ?? endpointDefaults.AutoscalingLimitMinCu!.Value,
                initialEndpoint.AutoscalingLimitMaxCu ?? endpointDefaults.AutoscalingLimitMaxCu!.Value,
                initialEndpoint.SuspendTimeoutDuration ?? endpointDefaults.SuspendTimeoutDuration,
                initialEndpoint.NoSuspension ?? (initialEndpoint.SuspendTimeoutDuration is null ? endpointDefaults.NoSuspension : null), null);
        // The first role and database: the caller's and databricks_postgres unless the request names others.
        var role = body.InitialRoleSpec is { } roleSpec
            ? Provisioning.NewRole(branchName, Validation.DeriveId(roleSpec.PostgresRole!, "role", _ => false), RoleService.Effective(roleSpec))
            : Provisioning.NewOwnerRole(branchName, caller);
        var databaseName = body.InitialDatabaseSpec?.PostgresDatabase ?? Provisioning.DefaultDatabase;
        var databaseId = databaseName == Provisioning.DefaultDatabase ? Provisioning.DefaultDatabase.Replace('_', '-') : Validation.DeriveId(databaseName, "database", _ => false);
        var database = Provisioning.NewDatabase(branchName, databaseId, databaseName, role.Name!);

        lock (provisioning.MetadataGate)
        {
            if (Catalog.Store.Get<Project>(name.ToString()) is not null) throw ApiException.AlreadyExists(name);
            if (List(showDeleted: false).Count() >= Limits.MaxProjects)
                throw ApiException.BadRequest($"This workspace has {Limits.MaxProjects} projects, the most it can have; delete one first.");
            return operations.Start(name, OperationVerb.Create, batch =>
            {
                batch.Put(ResourceKind.Project, project, project.Name!, null);
                batch.PutPermissions(project.Name!, [PermissionService.CreatorGrant(caller)]);
                batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent);
                batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent);
                batch.Put(ResourceKind.Role, role, role.Name!, role.Parent);
                batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
                batch.MarkImplicit(role.Name!);
                batch.MarkImplicit(database.Name!);
            }, cancellationToken => provisioning.QueueAsync<object?>(projectId!, async () =>
            {
                await provisioning.Storage.CreateFromTemplateAsync(branch.Uid!, major, cancellationToken).ConfigureAwait(false);
                await provisioning.StartEndpointAsync(endpoint, cancellationToken).ConfigureAwait(false);
                await using (var connection = await provisioning.ConnectAsync(branchName, "postgres", cancellationToken).ConfigureAwait(false))
                {
                    await PostgresAdmin.CreateRoleAsync(connection, role.Status!, cancellationToken).ConfigureAwait(false);
                    await PostgresAdmin.CreateDatabaseAsync(connection, databaseName, role.Status!.PostgresRole!, cancellationToken).ConfigureAwait(false);
                }
                branch.Status.CurrentState = BranchState.Ready;
                branch.Status.StateChangeTime = Catalog.Now();
                Catalog.Store.Write(batch =>
                {
                    batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent);
                    batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent);
                });
                return Catalog.RequireProject(name);
            }, cancellationToken), provisioning.Queued(projectId!, async () =>
            {
                await provisioning.DestroyBranchAsync(branch.Uid!, [endpoint.Uid!], CancellationToken.None).ConfigureAwait(false);
                Catalog.Store.Write(batch => batch.DeleteTree(name.ToString()));
            }));
        }
    }

    public Project Get(ResourceName name) => Catalog.RequireProject(name, allowDeleted: true);

    public IEnumerable<Project> List(bool showDeleted) =>
        Catalog.Store.List<Project>(ResourceKind.Project, null).Where(project => showDeleted || project.DeleteTime is null);

    public Operation Update(ResourceName name, Project body, JsonObject rawBody, string? updateMask)
    {
        var mask = MaskedUpdate.Parse(ResourceKind.Project, updateMask, rawBody);
        lock (provisioning.MetadataGate)
        {
            var project = Catalog.RequireProject(name);
            var status = project.Status!;
            var spec = body.Spec ?? new ProjectSpec();
            if (mask.Covers("spec.pg_version") && spec.PgVersion is { } version && version != status.PgVersion)
                throw ApiException.InvalidParameter("pg_version cannot be changed after the project is created.");
            if (mask.Covers("spec.display_name"))
            {
                if (spec.DisplayName is not { Length: > 0 and <= 256 }) throw ApiException.InvalidParameter("display_name must be 1 to 256 characters.");
                status.DisplayName = spec.DisplayName;
            }
            if (mask.Covers("spec.history_retention_duration"))
            {
                ValidateRetention(spec.HistoryRetentionDuration);
                status.HistoryRetentionDuration = spec.HistoryRetentionDuration ?? Limits.DefaultHistoryRetention;
            }
            if (mask.Covers("spec.default_branch") && spec.DefaultBranch is { } defaultBranch)
            {
                if (!ResourceName.TryParse(defaultBranch, out var branchName) || branchName.Kind != ResourceKind.Branch || branchName.ProjectId != name.ProjectId)
                    throw ApiException.InvalidParameter($"default_branch must name a branch of {name}, got '{defaultBranch}'.");
                if (Catalog.RequireBranch(branchName).Status!.ExpireTime is not null)
                    throw ApiException.InvalidParameter($"Branch {defaultBranch} expires, and the default branch cannot expire; give it no_expiry: true first.");
                status.DefaultBranch = defaultBranch;
            }
            if (mask.Covers("spec.budget_policy_id")) status.BudgetPolicyId = spec.BudgetPolicyId;
            if (mask.Covers("spec.custom_tags")) status.CustomTags = spec.CustomTags?.Where(tag => !string.IsNullOrEmpty(tag.Key)).ToList();
            if (mask.Covers("spec.enable_pg_native_login")) status.EnablePgNativeLogin = spec.EnablePgNativeLogin ?? false;
            UpdateEndpointDefaults(mask, spec.DefaultEndpointSettings, status.DefaultEndpointSettings ??= new ProjectDefaultEndpointSettings());
            project.UpdateTime = Catalog.Now();
            return operations.Start(name, OperationVerb.Update, batch => batch.Put(ResourceKind.Project, project, project.Name!, null),
                _ => Task.FromResult<object?>(Catalog.RequireProject(name)));
        }
    }

    /// <summary>With <paramref name="allowMissing"/> a project that is not there (or already soft-deleted, without
    /// <paramref name="purge"/>) is deleted already.</summary>
    public Operation Delete(ResourceName name, bool purge, bool allowMissing = false)
    {
        lock (provisioning.MetadataGate)
        {
            Project project;
            try { project = Catalog.RequireProject(name, allowDeleted: purge); }
            catch (ApiException ex) when (allowMissing && ex.ErrorCode == ErrorCodes.NotFound) { return operations.DeletedAlready(name); }
            var branches = Catalog.Branches(project.Name!);
            if (branches.FirstOrDefault(branch => branch.Status!.IsProtected == true) is { } protectedBranch)
                throw ApiException.BadRequest($"Project {name} cannot be deleted while branch '{protectedBranch.BranchId}' is protected.");
            var endpointUids = branches.ToDictionary(b => b.Uid!, b => Catalog.Endpoints(b.Name!).Select(e => e.Uid!).ToList());
            if (purge)
            {
                return operations.Start(name, OperationVerb.Delete, batch => batch.DeleteTree(name.ToString()),
                    cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                    {
                        foreach (var (branchUid, endpoints) in endpointUids)
                            await provisioning.DestroyBranchAsync(branchUid, endpoints, cancellationToken).ConfigureAwait(false);
                        return null;
                    }, cancellationToken));
            }
            project.DeleteTime = Catalog.Now();
            project.PurgeTime = project.DeleteTime + Limits.SoftDeleteRetention;
            return operations.Start(name, OperationVerb.Delete, batch => batch.Put(ResourceKind.Project, project, project.Name!, null),
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    foreach (var branch in branches) await provisioning.StopBranchAsync(branch.Name!, cancellationToken).ConfigureAwait(false);
                    return null;
                }, cancellationToken));
        }
    }

    public Operation Undelete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            var project = Catalog.RequireProject(name, allowDeleted: true);
            if (project.DeleteTime is null) throw ApiException.BadRequest($"Project {name} is not deleted.");
            project.DeleteTime = null;
            project.PurgeTime = null;
            return operations.Start(name, OperationVerb.Undelete, batch => batch.Put(ResourceKind.Project, project, project.Name!, null),
                _ => Task.FromResult<object?>(null));
        }
    }

    private void ValidateRetention(TimeSpan? retention)
    {
        if (retention is { } value && (value < Limits.MinHistoryRetention || value > Limits.MaxHistoryRetention))
            throw ApiException.InvalidParameter(
                $"history_retention_duration must be between {Limits.MinHistoryRetention.TotalSeconds}s and {Limits.MaxHistoryRetention.TotalSeconds}s, got {value.TotalSeconds}s.");
    }

    private void ValidateEndpointDefaults(ProjectDefaultEndpointSettings defaults, string prefix)
    {
        Validation.ComputeLimits(defaults.AutoscalingLimitMinCu, defaults.AutoscalingLimitMaxCu, prefix);
        Validation.Suspension(Limits, defaults.SuspendTimeoutDuration, defaults.NoSuspension, prefix);
        Validation.PgSettings(defaults.PgSettings);
    }

    private void UpdateEndpointDefaults(MaskedUpdate mask, ProjectDefaultEndpointSettings? requested, ProjectDefaultEndpointSettings current)
    {
        const string prefix = "spec.default_endpoint_settings.";
        requested ??= new ProjectDefaultEndpointSettings();
        if (mask.Covers(prefix + "autoscaling_limit_min_cu")) current.AutoscalingLimitMinCu = requested.AutoscalingLimitMinCu ?? Limits.DefaultEndpointCu;
        if (mask.Covers(prefix + "autoscaling_limit_max_cu")) current.AutoscalingLimitMaxCu = requested.AutoscalingLimitMaxCu ?? Limits.DefaultEndpointCu;
        if (mask.Covers(prefix + "suspension"))
        {
            Validation.Suspension(Limits, requested.SuspendTimeoutDuration, requested.NoSuspension, prefix);
            current.SuspendTimeoutDuration = requested.NoSuspension == true ? null : requested.SuspendTimeoutDuration ?? Limits.DefaultSuspendTimeout;
            current.NoSuspension = requested.NoSuspension;
        }
        if (mask.Covers(prefix + "pg_settings"))
        {
            Validation.PgSettings(requested.PgSettings);
            current.PgSettings = requested.PgSettings;
        }
        Validation.ComputeLimits(current.AutoscalingLimitMinCu, current.AutoscalingLimitMaxCu, prefix);
    }
}
