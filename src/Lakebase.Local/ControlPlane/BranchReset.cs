using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// Reset from parent, which the service offers only in its UI (lakebase-semantics.md §4.2), served under Lakebase
/// Local's own API prefix: the branch's data becomes a fresh copy of its parent as it is now. The branch keeps its
/// name and its endpoints (host, limits, settings); its computes restart on the new data, which closes open sessions,
/// and status.source_branch_lsn/time move to the reset point. Like the service, root, protected and parent branches
/// are refused. With preserve_under_name the old data stays, as a new sibling branch of that name. While its computes
/// restart on the new data the branch is RESETTING, and its endpoints take no sessions: a child of a protected branch
/// gets its roles' own passwords back (and new ones for roles new to it) before anyone can log in with its parent's.
/// One whose reset fails before then stays RESETTING until another reset (or the next start) gives its roles new ones.
/// </summary>
internal sealed class BranchReset(Provisioning provisioning, OperationRunner operations, BranchService branches)
{
    private Catalog Catalog => provisioning.Catalog;

    public Operation Reset(ResourceName name, string? preserveUnderName)
    {
        lock (provisioning.MetadataGate)
        {
            var (current, parent) = CheckResettable(name, preserveUnderName);
            var project = Catalog.RequireProject(name);
            return operations.Start(name, OperationVerb.Update, _ => { }, cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
            {
                // A child of a protected branch keeps its roles' own passwords (lakebase-semantics §4.2): read before
                // anything changes, so a reset its compute cannot answer for leaves the branch as it was. One still
                // RESETTING after a reset that failed holds its parent's copy: its own passwords are known no more.
                var kept = parent.Status!.IsProtected == true && current.Status!.CurrentState == BranchState.Ready
                    ? await ReadPasswordsAsync(name.ToString(), cancellationToken).ConfigureAwait(false)
                    : null;
                var newUid = Validation.NewUid("br");
                // The copy is made and durable before anything is recorded: a crash before the swap below leaves the
                // branch as it was, and the unrecorded copy is removed as an orphan at the next start.
                var point = await branches.CloneAsync(parent, newUid, cancellationToken).ConfigureAwait(false);
                Branch branch;
                Branch? preserved;
                List<Endpoint> endpoints;
                string oldUid;
                try
                {
                    // Checked again: a child branch or the preserved name may have appeared while the copy was made.
                    lock (provisioning.MetadataGate)
                    {
                        (branch, parent) = CheckResettable(name, preserveUnderName);
                        endpoints = Catalog.Endpoints(branch.Name!);
                        oldUid = branch.Uid!;
                        preserved = preserveUnderName is null ? null : PreservedBranch(branch, preserveUnderName);
                        SwapData(branch, parent, newUid, point, preserved, project);
                    }
                }
                catch
                {
                    await provisioning.Storage.DeleteAsync(newUid, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
                // Sessions on the old data end here; the next connection, or the start below, runs on the new data. A
                // read-only compute's standby copy follows the old primary, so it is rebuilt on its next start.
                foreach (var endpoint in endpoints.OrderBy(e => e.Status!.EndpointType == EndpointType.ReadWrite))
                {
                    if (endpoint.Status!.EndpointType == EndpointType.ReadOnly) await provisioning.Computes.DeleteAsync(endpoint.Uid!, cancellationToken).ConfigureAwait(false);
                    else await provisioning.Computes.StopAsync(endpoint.Uid!, cancellationToken).ConfigureAwait(false);
                }
                var protectedParent = parent.Status!.IsProtected == true;
                try
                {
                    if (Catalog.ReadWriteEndpoint(branch.Name!) is { } readWrite)
                        await provisioning.StartEndpointAsync(readWrite, cancellationToken).ConfigureAwait(false);
                    if (protectedParent) await GivePasswordsAsync(branch, kept, cancellationToken).ConfigureAwait(false);
                }
                catch when (!protectedParent)
                {
                    // The new data is in place; its compute starts on the next connection. (A child of a protected branch
                    // stays RESETTING, taking no sessions, until another reset or the next start finishes it.)
                    MarkReady(branch);
                    throw;
                }
                MarkReady(branch);
                if (preserved is not null) await StartPreservedAsync(preserved, cancellationToken).ConfigureAwait(false);
                else await provisioning.Storage.DeleteAsync(oldUid, cancellationToken).ConfigureAwait(false);
                return Catalog.Present(Catalog.RequireBranch(name));
            }, cancellationToken));
        }
    }

    /// <summary>
    /// Finishes a reset the server was stopped in after it swapped the branch's data (found RESETTING at start, before
    /// any session is taken): a child of a protected branch gets new passwords for all its roles, since the ones it had
    /// are known no more; then the branch is ready. Its old data, unrecorded, goes to quarantine.
    /// </summary>
    public async Task FinishInterruptedAsync(Branch branch, CancellationToken cancellationToken)
    {
        if (branch.Status!.SourceBranch is { } parentName && Catalog.Store.Get<Branch>(parentName) is { Status.IsProtected: true })
            await GivePasswordsAsync(branch, null, cancellationToken).ConfigureAwait(false);
        MarkReady(branch);
    }

    private async Task<Dictionary<string, string?>> ReadPasswordsAsync(string branchName, CancellationToken cancellationToken)
    {
        await using var admin = await provisioning.ConnectAsync(branchName, "postgres", cancellationToken).ConfigureAwait(false);
        return await PostgresAdmin.PasswordsAsync(admin, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives the roles of a reset child of a protected branch the passwords in <paramref name="kept"/>, and the
    /// roles it did not have (or all, without it) new ones no one knows, through its compute.</summary>
    private async Task GivePasswordsAsync(Branch branch, IReadOnlyDictionary<string, string?>? kept, CancellationToken cancellationToken)
    {
        await using var admin = await provisioning.ConnectAsync(branch.Name!, "postgres", cancellationToken).ConfigureAwait(false);
        await PostgresAdmin.ReplacePasswordsAsync(admin, kept, cancellationToken).ConfigureAwait(false);
    }

    private void MarkReady(Branch branch)
    {
        branch.Status!.CurrentState = BranchState.Ready;
        branch.Status.StateChangeTime = Catalog.Now();
        Catalog.Store.Write(batch => batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent));
    }

    /// <summary>The service's UI refuses to reset a root branch (it has no parent), a protected branch and a branch
    /// other branches were made from; the parent must exist and be ready, and the preserved name free.</summary>
    private (Branch Branch, Branch Parent) CheckResettable(ResourceName name, string? preserveUnderName)
    {
        var branch = Catalog.RequireBranch(name);
        if (branch.Status!.SourceBranch is not { } parentName)
            throw ApiException.BadRequest($"Branch {name} is a root branch: it has no parent to reset from.");
        if (branch.Status.IsProtected == true)
            throw ApiException.BadRequest($"Branch {name} is protected; protected branches cannot be reset.");
        var children = Catalog.Branches(branch.Parent!).Where(other => other.Status!.SourceBranch == branch.Name && other.Status.DeleteTime is null)
            .Select(other => other.BranchId).ToList();
        if (children.Count > 0)
            throw ApiException.BadRequest($"Branch {name} has child branches ({string.Join(", ", children)}); a branch with children cannot be reset.");
        // RESETTING after a reset that failed (one in flight is the operation runner's to refuse): another finishes it.
        if (branch.Status.CurrentState is not (BranchState.Ready or BranchState.Resetting))
            throw new ApiException(ErrorCodes.InvalidState, $"Branch {name} is not ready.");
        if (branch.Status.CurrentState == BranchState.Resetting && preserveUnderName is not null)
            throw ApiException.BadRequest($"Branch {name} holds its parent's copy after a reset that failed, not data of its own to preserve; reset it without preserve_under_name.");
        var parent = Catalog.Store.Get<Branch>(parentName) is { Status.DeleteTime: null } found ? found
            : throw ApiException.BadRequest($"The parent of {name}, {parentName}, no longer exists.");
        if (parent.Status!.CurrentState != BranchState.Ready)
            throw new ApiException(ErrorCodes.InvalidState, $"The parent of {name}, {parentName}, is not ready.");
        if (preserveUnderName is not null)
        {
            Validation.RequireId("preserve_under_name", preserveUnderName);
            var preservedName = ResourceName.Branch(name.ProjectId, preserveUnderName);
            if (Catalog.Store.Get<Branch>(preservedName.ToString()) is not null) throw ApiException.AlreadyExists(preservedName);
        }
        return (branch, parent);
    }

    /// <summary>The old data under a new name: a sibling of the reset branch from the same parent and point.</summary>
    private static Branch PreservedBranch(Branch branch, string branchId)
    {
        var now = Catalog.Now();
        var name = ResourceName.Branch(ResourceName.Parse(branch.Name!).ProjectId, branchId).ToString();
        return new Branch
        {
            Name = name,
            BranchId = branchId,
            Parent = branch.Parent,
            Uid = branch.Uid,
            CreateTime = now,
            UpdateTime = now,
            Status = new BranchStatus
            {
                BranchId = branchId,
                CurrentState = BranchState.Ready,
                StateChangeTime = now,
                IsProtected = false,
                ExpireTime = branch.Status!.ExpireTime,
                SourceBranch = branch.Status.SourceBranch,
                SourceBranchLsn = branch.Status.SourceBranchLsn,
                SourceBranchTime = branch.Status.SourceBranchTime,
            },
        };
    }

    /// <summary>Points the branch at its new data in one metadata transaction: its uid (which names its data), the
    /// reset point, and the roles and databases of the copy (the parent's); the preserved branch, if any, takes the
    /// old data, roles and databases.</summary>
    private void SwapData(Branch branch, Branch parent, string newUid, Storage.BranchPoint point, Branch? preserved, Project project)
    {
        var oldRoles = Catalog.Roles(branch.Name!);
        var oldDatabases = Catalog.Databases(branch.Name!);
        var now = Catalog.Now();
        branch.Uid = newUid;
        branch.UpdateTime = now;
        branch.Status!.CurrentState = BranchState.Resetting;
        branch.Status.StateChangeTime = now;
        branch.Status.SourceBranchLsn = point.Lsn;
        branch.Status.SourceBranchTime = point.Time;
        var preservedEndpoint = preserved is null ? null
            : provisioning.NewPrimaryEndpoint(preserved.Name!, project.Status!.DefaultEndpointSettings ?? new ProjectDefaultEndpointSettings());
        Catalog.Store.Write(batch =>
        {
            batch.Put(ResourceKind.Branch, branch, branch.Name!, branch.Parent);
            foreach (var role in oldRoles) batch.DeleteTree(role.Name!);
            foreach (var database in oldDatabases) batch.DeleteTree(database.Name!);
            foreach (var role in Catalog.Roles(parent.Name!).Select(role => Provisioning.NewRole(branch.Name!, role.RoleId!, role.Status!)))
                batch.Put(ResourceKind.Role, role, role.Name!, role.Parent);
            foreach (var database in Catalog.Databases(parent.Name!).Select(database => Provisioning.NewDatabase(branch.Name!, database.DatabaseId!,
                database.Status!.PostgresDatabase!, database.Status.Role!.Replace(parent.Name + "/", branch.Name + "/"))))
                batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
            if (preserved is null) return;
            batch.Put(ResourceKind.Branch, preserved, preserved.Name!, preserved.Parent);
            batch.Put(ResourceKind.Endpoint, preservedEndpoint!, preservedEndpoint!.Name!, preservedEndpoint.Parent);
            foreach (var role in oldRoles.Select(role => Provisioning.NewRole(preserved.Name!, role.RoleId!, role.Status!)))
                batch.Put(ResourceKind.Role, role, role.Name!, role.Parent);
            foreach (var database in oldDatabases.Select(database => Provisioning.NewDatabase(preserved.Name!, database.DatabaseId!,
                database.Status!.PostgresDatabase!, database.Status.Role!.Replace(branch.Name + "/", preserved.Name + "/"))))
                batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
        });
    }

    private async Task StartPreservedAsync(Branch preserved, CancellationToken cancellationToken)
    {
        var endpoint = Catalog.ReadWriteEndpoint(preserved.Name!)!;
        await provisioning.StartEndpointAsync(endpoint, cancellationToken).ConfigureAwait(false);
        Catalog.Store.Write(batch => batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent));
    }
}
