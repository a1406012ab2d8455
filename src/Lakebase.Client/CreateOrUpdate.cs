using System.Text.Json;
using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;

namespace Lakebase.Client;

/// <summary>
/// The service's "create or update", for scripts that run more than once: create the resource, or when it exists,
/// update it to the given spec. Branches, endpoints, roles and databases have it on the wire (replace_existing);
/// projects do not, so a project is read, then created or updated. Where the existing resource differs in a way no
/// update can change (another PostgreSQL version, a branch from another source), the call fails and says so.
/// </summary>
public static class CreateOrUpdate
{
    public static async Task<Operation> CreateOrUpdateProjectAsync(this LakebaseClient client, string projectId, Project project,
        CancellationToken cancellationToken = default)
    {
        var name = ResourceName.Project(projectId).ToString();
        var existing = await GetOrNullAsync(() => client.GetProjectAsync(name, cancellationToken)).ConfigureAwait(false);
        if (existing is null) return await client.CreateProjectAsync(projectId, project, cancellationToken).ConfigureAwait(false);
        var spec = project.Spec ?? new ProjectSpec();
        if (existing.DeleteTime is not null)
            throw Unreachable(name, "is deleted; restore it with Restore-LakebaseProject (or undelete) first");
        if (spec.PgVersion is { } version && existing.Status?.PgVersion is { } current && version != current)
            throw Unreachable(name, $"runs PostgreSQL {current}, and an update cannot change the version (asked for {version})");
        var mask = ProjectMask(spec);
        if (mask.Count == 0) return Finished(existing);
        // The version was checked above and is not in the mask: the update changes what the mask names and nothing else.
        return await client.UpdateProjectAsync(name, project, mask, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the branch, or updates the one that exists, after checking that it was made from the same
    /// source (and point in time) as asked: that is fixed when a branch is made.</summary>
    public static async Task<Operation> CreateOrUpdateBranchAsync(this LakebaseClient client, string parent, string branchId, Branch branch,
        CancellationToken cancellationToken = default)
    {
        var name = ResourceName.Branch(ResourceName.Parse(parent).ProjectId, branchId).ToString();
        var existing = await GetOrNullAsync(() => client.GetBranchAsync(name, cancellationToken)).ConfigureAwait(false);
        if (existing is null) return await client.CreateBranchAsync(parent, branchId, branch, false, cancellationToken).ConfigureAwait(false);
        var spec = branch.Spec ?? new BranchSpec();
        var status = existing.Status ?? new BranchStatus();
        if (status.DeleteTime is not null) throw Unreachable(name, "is deleted; restore it with Restore-LakebaseBranch first");
        var source = spec.SourceBranch ?? (await client.GetProjectAsync(parent, cancellationToken).ConfigureAwait(false)).Status?.DefaultBranch;
        if (status.SourceBranch is { } from && source is not null && from != source)
            throw Unreachable(name, $"was made from {from}, not {source}, and an update cannot change where a branch comes from");
        if (spec.SourceBranchLsn is { } lsn && !string.Equals(lsn, status.SourceBranchLsn, StringComparison.OrdinalIgnoreCase))
            throw Unreachable(name, $"was made at LSN {status.SourceBranchLsn}, not {lsn}, and an update cannot move it");
        if (spec.SourceBranchTime is { } time && time != status.SourceBranchTime)
            throw Unreachable(name, $"was made as of {status.SourceBranchTime:O}, not {time:O}, and an update cannot move it");
        return await client.CreateBranchAsync(parent, branchId, branch, true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the role, or replaces the one with the same id, or without an id the one with the same
    /// Postgres name (which is what a second run of the same script means; the id the service derived may differ).</summary>
    public static async Task<Operation> CreateOrUpdateRoleAsync(this LakebaseClient client, string parent, string? roleId, Role role,
        CancellationToken cancellationToken = default)
    {
        roleId ??= await ExistingIdAsync(client.ListRolesAsync(parent, cancellationToken), existing => existing.Status?.PostgresRole == role.Spec?.PostgresRole,
            existing => existing.Name).ConfigureAwait(false);
        return await client.CreateRoleAsync(parent, roleId, role, true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the database, or replaces the one with the same id, or without an id the one with the same
    /// Postgres name.</summary>
    public static async Task<Operation> CreateOrUpdateDatabaseAsync(this LakebaseClient client, string parent, string? databaseId, Database database,
        CancellationToken cancellationToken = default)
    {
        databaseId ??= await ExistingIdAsync(client.ListDatabasesAsync(parent, cancellationToken),
            existing => existing.Status?.PostgresDatabase == database.Spec?.PostgresDatabase, existing => existing.Name).ConfigureAwait(false);
        return await client.CreateDatabaseAsync(parent, databaseId, database, true, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string?> ExistingIdAsync<T>(IAsyncEnumerable<T> resources, Func<T, bool> matches, Func<T, string?> name)
    {
        await foreach (var resource in resources.ConfigureAwait(false))
            if (matches(resource) && name(resource) is { } found) return ResourceName.Parse(found).ChildId;
        return null;
    }

    /// <summary>A finished operation that carries <paramref name="resource"/>: nothing had to change.</summary>
    private static Operation Finished<T>(T resource) => new() { Done = true, Response = JsonSerializer.SerializeToElement(resource, WireJson.Options) };

    private static List<string> ProjectMask(ProjectSpec spec)
    {
        var mask = new List<string>();
        if (spec.DisplayName is not null) mask.Add("spec.display_name");
        if (spec.HistoryRetentionDuration is not null) mask.Add("spec.history_retention_duration");
        if (spec.EnablePgNativeLogin is not null) mask.Add("spec.enable_pg_native_login");
        if (spec.DefaultEndpointSettings is { } defaults)
        {
            const string prefix = "spec.default_endpoint_settings.";
            if (defaults.AutoscalingLimitMinCu is not null) mask.Add(prefix + "autoscaling_limit_min_cu");
            if (defaults.AutoscalingLimitMaxCu is not null) mask.Add(prefix + "autoscaling_limit_max_cu");
            if (defaults.SuspendTimeoutDuration is not null || defaults.NoSuspension is not null) mask.Add(prefix + "suspension");
        }
        return mask;
    }

    private static async Task<T?> GetOrNullAsync<T>(Func<Task<T>> get) where T : class
    {
        try { return await get().ConfigureAwait(false); }
        catch (LakebaseApiException notFound) when (notFound.ErrorCode == ErrorCodes.NotFound || notFound.HttpStatus == 404) { return null; }
    }

    private static LakebaseApiException Unreachable(string name, string why) =>
        new(ErrorCodes.AlreadyExists, $"{name} already exists and {why}.", 409, name);
}
