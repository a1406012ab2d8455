using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>Branches: each is its own data directory, a consistent copy of its source at the moment it was made, or at
/// a moment of the source's past.</summary>
internal sealed class BranchService(Provisioning provisioning, OperationRunner operations, PointInTime pointInTime)
{
    private Catalog Catalog => provisioning.Catalog;

    public Operation Create(ResourceName parent, string? branchId, Branch body, JsonObject rawBody, bool replaceExisting)
    {
        Validation.RequireId("branch_id", branchId);
        var name = ResourceName.Branch(parent.ProjectId, branchId!);
        var spec = body.Spec ?? new BranchSpec();
        lock (provisioning.MetadataGate)
        {
            var project = Catalog.RequireProject(parent);
            if (Catalog.Store.Get<Branch>(name.ToString()) is not null)
            {
                if (replaceExisting) return Update(name, body, rawBody, null);
                throw ApiException.AlreadyExists(name);
            }
            var expireTime = Expiration(spec, required: true);
            var branches = Catalog.Branches(parent.ProjectName).Where(other => other.Status!.DeleteTime is null).ToList();
            if (branches.Count >= provisioning.Limits.MaxUnarchivedBranches)
                throw ApiException.BadRequest($"Project {parent} has {branches.Count} branches, the most a project can have unarchived; delete one first.");
            if (spec.IsProtected == true) CheckProtectable(parent.ProjectName, name.ToString(), expireTime);
            var sourceName = spec.SourceBranch ?? project.Status!.DefaultBranch!;
            if (!ResourceName.TryParse(sourceName, out var source) || source.Kind != ResourceKind.Branch || source.ProjectId != parent.ProjectId)
                throw ApiException.InvalidParameter($"source_branch must name a branch of {parent}, got '{sourceName}'.");
            var sourceBranch = Catalog.RequireBranch(source);
            if (sourceBranch.Status!.CurrentState != BranchState.Ready)
                throw new ApiException(ErrorCodes.InvalidState, $"Source branch {source} is not ready yet.");
            var pastPoint = pointInTime.TargetOf(spec, sourceBranch, project);

            var now = Catalog.Now();
            var branch = new Branch
            {
                Name = name.ToString(),
                BranchId = branchId,
                Parent = parent.ProjectName,
                Uid = Validation.NewUid("br"),
                CreateTime = now,
                UpdateTime = now,
                Status = new BranchStatus
                {
                    BranchId = branchId,
                    CurrentState = BranchState.Init,
                    StateChangeTime = now,
                    IsProtected = spec.IsProtected ?? false,
                    ExpireTime = expireTime,
                    SourceBranch = source.ToString(),
                },
            };
            var endpoint = provisioning.NewPrimaryEndpoint(branch.Name!, project.Status!.DefaultEndpointSettings ?? new ProjectDefaultEndpointSettings());
            // Roles and databases live inside the cluster, so the copy has its source's: record them under the new branch.
            var roles = Catalog.Roles(source.ToString()).Select(role => Provisioning.NewRole(branch.Name!, role.RoleId!, role.Status!)).ToList();
            var databases = Catalog.Databases(source.ToString()).Select(database => Provisioning.NewDatabase(branch.Name!, database.DatabaseId!,
                database.Status!.PostgresDatabase!, database.Status.Role!.Replace(source + "/", branch.Name + "/"))).ToList();

            return operations.Start(name, OperationVerb.Create, batch =>
            {
                batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent);
                batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent);
                foreach (var role in roles) batch.Put(ResourceKind.Role, role, role.Name!, role.Parent);
                foreach (var database in databases) batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
            }, cancellationToken => provisioning.QueueAsync<object?>(parent.ProjectId, async () =>
            {
                // A branch at a past moment is restored by its compute's first start (unless its source, asleep since
                // before the moment, is copied as it is).
                var (point, restored) = pastPoint is null
                    ? (await CloneAsync(sourceBranch, branch.Uid!, cancellationToken).ConfigureAwait(false), false)
                    : await pointInTime.BranchAsync(sourceBranch, branch.Uid!, pastPoint, async starting =>
                    {
                        await provisioning.StartEndpointAsync(endpoint, starting).ConfigureAwait(false);
                        return await provisioning.ConnectAsync(branch.Name!, "postgres", starting).ConfigureAwait(false);
                    }, cancellationToken).ConfigureAwait(false);
                if (!restored) await provisioning.StartEndpointAsync(endpoint, cancellationToken).ConfigureAwait(false);
                if (sourceBranch.Status.IsProtected == true)
                {
                    // A protected branch's passwords stay with it: its children's roles get new ones (lakebase-semantics §4.4).
                    await using var admin = await provisioning.ConnectAsync(branch.Name!, "postgres", cancellationToken).ConfigureAwait(false);
                    await PostgresAdmin.ReplacePasswordsAsync(admin, null, cancellationToken).ConfigureAwait(false);
                }
                branch.Status.CurrentState = BranchState.Ready;
                branch.Status.StateChangeTime = Catalog.Now();
                branch.Status.SourceBranchLsn = point.Lsn;
                branch.Status.SourceBranchTime = point.Time;
                var (kept, addedRoles, addedDatabases) = await CopiedRolesAndDatabasesAsync(branch.Name!, restored ? sourceBranch : null, roles, databases, cancellationToken)
                    .ConfigureAwait(false);
                Catalog.Store.Write(batch =>
                {
                    batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent);
                    batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent);
                    foreach (var role in roles.Where(role => !kept.Contains(role.Name!))) batch.DeleteTree(role.Name!);
                    foreach (var database in databases.Where(database => !kept.Contains(database.Name!))) batch.DeleteTree(database.Name!);
                    foreach (var role in addedRoles) batch.Put(ResourceKind.Role, role, role.Name!, role.Parent);
                    foreach (var database in addedDatabases) batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
                });
                return Catalog.Present(Catalog.RequireBranch(name));
            }, cancellationToken), provisioning.Queued(parent.ProjectId, async () =>
            {
                await provisioning.DestroyBranchAsync(branch.Uid!, [endpoint.Uid!], CancellationToken.None).ConfigureAwait(false);
                Catalog.Store.Write(batch => batch.DeleteTree(name.ToString()));
            }));
        }
    }

    /// <summary>
    /// Settles what a new branch lists against what its copy holds. The copy has the roles and databases its source had
    /// at the copied moment, which may be in the past or before a role still being made there: of those recorded from
    /// the source, the names of the ones the copy has are kept. A copy of a past moment may also hold roles and
    /// databases the source has deleted (or renamed) since, which its records no longer describe: those the source's
    /// PostgreSQL no longer holds either are added, recorded from the copy's catalogs. (What the source holds without
    /// listing, its scoped and SQL-made roles, stays unlisted on the branch too.)
    /// </summary>
    private async Task<(HashSet<string> Kept, List<Role> AddedRoles, List<Database> AddedDatabases)> CopiedRolesAndDatabasesAsync(string branchName, Branch? pastSource,
        List<Role> roles, List<Database> databases, CancellationToken cancellationToken)
    {
        ClusterObjects copy;
        await using (var connection = await provisioning.ConnectAsync(branchName, "postgres", cancellationToken).ConfigureAwait(false))
            copy = await ClusterObjects.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        var keptRoles = roles.Where(role => copy.Roles.ContainsKey(role.Status!.PostgresRole!)).ToList();
        var keptDatabases = databases.Where(database => copy.DatabaseOwners.ContainsKey(database.Status!.PostgresDatabase!)).ToList();
        var addedRoles = new List<Role>();
        var addedDatabases = new List<Database>();
        if (pastSource is not null)
        {
            var (sourceRoles, sourceDatabases) = await ObjectNamesAsync(pastSource, cancellationToken).ConfigureAwait(false);
            var roleIds = keptRoles.Select(role => role.RoleId!).ToHashSet(StringComparer.Ordinal);
            var roleNames = keptRoles.ToDictionary(role => role.Status!.PostgresRole!, role => role.Name!, StringComparer.Ordinal);
            foreach (var (postgresRole, status) in copy.Roles.Where(role => !roleNames.ContainsKey(role.Key) && !sourceRoles.Contains(role.Key)))
            {
                var role = Provisioning.NewRole(branchName, Validation.DeriveId(postgresRole, "role", roleIds.Contains), status);
                roleIds.Add(role.RoleId!);
                roleNames[postgresRole] = role.Name!;
                addedRoles.Add(role);
            }
            var databaseIds = keptDatabases.Select(database => database.DatabaseId!).ToHashSet(StringComparer.Ordinal);
            var databaseNames = keptDatabases.Select(database => database.Status!.PostgresDatabase!).ToHashSet(StringComparer.Ordinal);
            foreach (var (postgresDatabase, owner) in copy.DatabaseOwners.Where(database => !databaseNames.Contains(database.Key) && !sourceDatabases.Contains(database.Key)))
            {
                // A database's owner is one of the branch's roles unless it was made outside the API.
                if (!roleNames.TryGetValue(owner, out var ownerName)) continue;
                var database = Provisioning.NewDatabase(branchName, Validation.DeriveId(postgresDatabase, "database", databaseIds.Contains), postgresDatabase, ownerName);
                databaseIds.Add(database.DatabaseId!);
                addedDatabases.Add(database);
            }
        }
        return ([.. keptRoles.Select(role => role.Name!), .. keptDatabases.Select(database => database.Name!)], addedRoles, addedDatabases);
    }

    /// <summary>The names of the roles and databases a branch's PostgreSQL holds: as its compute noted them when it
    /// stopped, while it sleeps (it is not woken to be asked), else as it answers.</summary>
    private async Task<(IReadOnlySet<string> Roles, IReadOnlySet<string> Databases)> ObjectNamesAsync(Branch branch, CancellationToken cancellationToken)
    {
        // A running (or starting) compute has no stopped fence: the note goes before it starts, pg_control's shutdown with it.
        if (provisioning.Storage.History.StoppedFence(branch.Uid!) is { } fence)
            return (fence.Roles.ToHashSet(StringComparer.Ordinal), fence.Databases.ToHashSet(StringComparer.Ordinal));
        await using var connection = await provisioning.ConnectAsync(branch.Name!, "postgres", cancellationToken).ConfigureAwait(false);
        var objects = await ClusterObjects.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        return (objects.Roles.Keys.ToHashSet(StringComparer.Ordinal), objects.DatabaseOwners.Keys.ToHashSet(StringComparer.Ordinal));
    }

    public Branch Get(ResourceName name) => Catalog.Present(Catalog.RequireBranch(name, allowDeleted: true));

    public IEnumerable<Branch> List(ResourceName parent, bool showDeleted)
    {
        Catalog.RequireProject(parent);
        return Catalog.Branches(parent.ProjectName).Where(branch => showDeleted || branch.Status!.DeleteTime is null).Select(Catalog.Present);
    }

    public Operation Update(ResourceName name, Branch body, JsonObject rawBody, string? updateMask)
    {
        var mask = MaskedUpdate.Parse(ResourceKind.Branch, updateMask, rawBody);
        lock (provisioning.MetadataGate)
        {
            var branch = Catalog.RequireBranch(name);
            var spec = body.Spec ?? new BranchSpec();
            if (mask.Covers("spec.is_protected")) branch.Status!.IsProtected = spec.IsProtected ?? false;
            if (mask.Covers(FieldMask.BranchExpiration)) branch.Status!.ExpireTime = Expiration(spec, required: true);
            if ((mask.Covers(FieldMask.BranchExpiration) || mask.Covers("spec.is_protected")) && branch.Status!.ExpireTime is not null) CheckMayExpire(branch);
            if (mask.Covers("spec.is_protected") && spec.IsProtected == true) CheckProtectable(branch.Parent!, branch.Name!, branch.Status!.ExpireTime);
            branch.UpdateTime = Catalog.Now();
            return operations.Start(name, OperationVerb.Update, batch => batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent),
                _ => Task.FromResult<object?>(Catalog.Present(Catalog.RequireBranch(name))));
        }
    }

    /// <summary>With <paramref name="allowMissing"/> a branch that is not there (or already soft-deleted, without
    /// <paramref name="purge"/>) is deleted already.</summary>
    public Operation Delete(ResourceName name, bool purge, bool allowMissing = false)
    {
        lock (provisioning.MetadataGate)
        {
            Branch branch;
            try { branch = Catalog.RequireBranch(name, allowDeleted: purge); }
            catch (ApiException ex) when (allowMissing && ex.ErrorCode == ErrorCodes.NotFound) { return operations.DeletedAlready(name); }
            CheckDeletable(branch);
            var endpointUids = Catalog.Endpoints(branch.Name!).Select(e => e.Uid!).ToList();
            if (purge)
            {
                return operations.Start(name, OperationVerb.Delete, batch => batch.DeleteTree(name.ToString()),
                    cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                    {
                        await provisioning.DestroyBranchAsync(branch.Uid!, endpointUids, cancellationToken).ConfigureAwait(false);
                        return null;
                    }, cancellationToken));
            }
            // The service reports a soft-deleted branch as DELETED until it is undeleted or purged (postgres-api.md §6).
            branch.Status!.DeleteTime = Catalog.Now();
            branch.Status.PurgeTime = branch.Status.DeleteTime + provisioning.Limits.SoftDeleteRetention;
            branch.Status.CurrentState = BranchState.Deleted;
            branch.Status.StateChangeTime = branch.Status.DeleteTime;
            return operations.Start(name, OperationVerb.Delete, batch => batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent),
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await provisioning.StopBranchAsync(branch.Name!, cancellationToken).ConfigureAwait(false);
                    return null;
                }, cancellationToken));
        }
    }

    public Operation Undelete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            var branch = Catalog.RequireBranch(name, allowDeleted: true);
            if (branch.Status!.DeleteTime is null) throw ApiException.BadRequest($"Branch {name} is not deleted.");
            branch.Status.DeleteTime = null;
            branch.Status.PurgeTime = null;
            branch.Status.CurrentState = BranchState.Ready;
            branch.Status.StateChangeTime = Catalog.Now();
            return operations.Start(name, OperationVerb.Undelete, batch => batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent),
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    if (Catalog.ReadWriteEndpoint(branch.Name!) is { } endpoint)
                        await provisioning.StartEndpointAsync(endpoint, cancellationToken).ConfigureAwait(false);
                    return null;
                }, cancellationToken));
        }
    }

    /// <summary>The service refuses to delete the root branch (it goes with its project), the project's default
    /// branch, a protected branch, and a branch that other branches were made from.</summary>
    private void CheckDeletable(Branch branch)
    {
        if (branch.Status!.SourceBranch is null)
            throw ApiException.ManagedByParent($"Cannot delete root branch '{branch.Name}'. Root branches cannot be deleted independently.");
        if (Catalog.RequireProject(ResourceName.Parse(branch.Parent!)).Status!.DefaultBranch == branch.Name)
            throw ApiException.BadRequest($"Branch {branch.Name} is the project's default branch; make another branch the default before deleting it.");
        if (branch.Status.IsProtected == true)
            throw ApiException.BadRequest($"Branch {branch.Name} is protected; unprotect it before deleting it.");
        var children = Catalog.Branches(branch.Parent!).Where(other => other.Status!.SourceBranch == branch.Name).Select(other => other.BranchId).ToList();
        if (children.Count > 0)
            throw ApiException.BadRequest($"Branch {branch.Name} has child branches ({string.Join(", ", children)}); delete them first.");
    }

    /// <summary>Protected branches, the default branch and branches that others were made from cannot expire
    /// (lakebase-semantics.md §1.5).</summary>
    private void CheckMayExpire(Branch branch)
    {
        var reason = branch.Status!.IsProtected == true ? "it is protected"
            : Catalog.RequireProject(ResourceName.Parse(branch.Parent!)).Status!.DefaultBranch == branch.Name ? "it is the project's default branch"
            : Catalog.Branches(branch.Parent!).Any(other => other.Status!.SourceBranch == branch.Name) ? "it has child branches"
            : null;
        if (reason is not null) throw ApiException.InvalidParameter($"Branch {branch.Name} cannot expire: {reason}. Use no_expiry: true.");
    }

    /// <summary>A project has one protected branch at most, and a protected branch never expires.</summary>
    private void CheckProtectable(string projectName, string branchName, DateTimeOffset? expireTime)
    {
        if (expireTime is not null) throw ApiException.InvalidParameter($"Branch {branchName} cannot be protected and expire; use no_expiry: true.");
        var others = Catalog.Branches(projectName).Where(other => other.Status!.IsProtected == true && other.Name != branchName).Select(other => other.BranchId).ToList();
        if (others.Count >= provisioning.Limits.MaxProtectedBranches)
            throw ApiException.BadRequest($"Project {projectName} already has a protected branch ({string.Join(", ", others)}); a project can have {provisioning.Limits.MaxProtectedBranches}.");
    }

    /// <summary>Copies the source as it is now, holding its compute as it is meanwhile: a running one through the
    /// backup API, a stopped one whole, and neither woken nor suspended under the copy (a connection waits). A base
    /// snapshot of the source in progress is waited for first (before the compute is held), so the copy shares it.</summary>
    public async Task<Storage.BranchPoint> CloneAsync(Branch source, string targetUid, CancellationToken cancellationToken)
    {
        var storage = provisioning.Storage;
        using var history = await storage.History.HoldAsync(source.Uid!, cancellationToken).ConfigureAwait(false);
        Task<Storage.BranchPoint> CopyStopped() => storage.CloneStoppedAsync(source.Uid!, targetUid, cancellationToken);
        if (Catalog.ReadWriteEndpoint(source.Name!) is not { } sourceEndpoint) return await CopyStopped().ConfigureAwait(false);
        return await provisioning.Computes.HoldAsync(sourceEndpoint.Uid!, async running =>
        {
            if (!running) return await CopyStopped().ConfigureAwait(false);
            await using var connection = await provisioning.Computes.OpenConnectionAsync(sourceEndpoint.Uid!, "postgres", cancellationToken).ConfigureAwait(false);
            return await storage.CloneRunningAsync(connection, source.Uid!, targetUid, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The oneof expiration: exactly one of ttl, expire_time, no_expiry (true), at most 30 days ahead. Null means never.</summary>
    private DateTimeOffset? Expiration(BranchSpec spec, bool required)
    {
        var longest = provisioning.Limits.MaxBranchLifetime;
        var chosen = (spec.Ttl is not null ? 1 : 0) + (spec.ExpireTime is not null ? 1 : 0) + (spec.NoExpiry is not null ? 1 : 0);
        if (chosen > 1) throw ApiException.InvalidParameter("Only one of spec.ttl, spec.expire_time and spec.no_expiry may be set.");
        if (chosen == 0 && required)
            throw ApiException.InvalidParameter("One of spec.ttl, spec.expire_time or spec.no_expiry is required; use no_expiry: true for a branch that never expires.");
        if (spec.NoExpiry == false) throw ApiException.InvalidParameter("spec.no_expiry must be true when it is set.");
        if (spec.Ttl is { } ttl)
        {
            if (ttl <= TimeSpan.Zero) throw ApiException.InvalidParameter("spec.ttl must be positive.");
            if (ttl > longest) throw ApiException.InvalidParameter($"spec.ttl must be at most {longest.TotalSeconds}s ({longest.TotalDays} days), got {ttl.TotalSeconds}s.");
            return Catalog.Now() + ttl;
        }
        if (spec.ExpireTime is { } expireTime && expireTime <= DateTimeOffset.UtcNow)
            throw ApiException.InvalidParameter($"spec.expire_time must be in the future, got {expireTime:O}.");
        if (spec.ExpireTime > DateTimeOffset.UtcNow + longest)
            throw ApiException.InvalidParameter($"spec.expire_time must be at most {longest.TotalDays} days ahead, got {spec.ExpireTime:O}.");
        return spec.ExpireTime;
    }
}
