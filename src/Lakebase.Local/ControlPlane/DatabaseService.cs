using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>Databases: real PostgreSQL databases on the branch, owned by one of its roles.</summary>
internal sealed class DatabaseService(Provisioning provisioning, OperationRunner operations)
{
    private Catalog Catalog => provisioning.Catalog;

    public Operation Create(ResourceName parent, string? databaseId, Database body, JsonObject rawBody, bool replaceExisting)
    {
        var spec = body.Spec ?? new DatabaseSpec();
        if (databaseId is not null) Validation.DatabaseId(databaseId);
        if (string.IsNullOrEmpty(spec.Role)) throw ApiException.Required("database.spec.role");
        Validation.PostgresName("database.spec.postgres_database", spec.PostgresDatabase);
        lock (provisioning.MetadataGate)
        {
            Catalog.RequireBranch(parent);
            var existing = Catalog.Databases(parent.ToString());
            databaseId ??= Validation.DeriveId(spec.PostgresDatabase, "database", id => existing.Any(database => database.DatabaseId == id));
            var name = ResourceName.Database(parent.ProjectId, parent.BranchId!, databaseId);
            if (existing.Any(database => database.DatabaseId == databaseId))
            {
                if (replaceExisting) return Update(name, body, rawBody, "spec");
                throw ApiException.BadRequest("database with that name already exists");
            }
            if (existing.Any(database => database.Status!.PostgresDatabase == spec.PostgresDatabase))
                throw ApiException.BadRequest($"database with that name already exists: postgres database \"{spec.PostgresDatabase}\"");
            if (existing.Count >= provisioning.Limits.MaxDatabasesPerBranch)
                throw ApiException.BadRequest($"Branch {parent} has {existing.Count} databases, the most a branch can have; delete one first.");
            var owner = OwnerOf(parent, spec.Role);
            var database = Provisioning.NewDatabase(parent.ToString(), databaseId, spec.PostgresDatabase, owner.Name!);
            return operations.Start(name, OperationVerb.Create, batch => batch.Put(ResourceKind.Database, database, database.Name!, database.Parent),
                cancellationToken => provisioning.QueueAsync<object?>(parent.ProjectId, async () =>
                {
                    await using var connection = await provisioning.ConnectAsync(parent.ToString(), "postgres", cancellationToken).ConfigureAwait(false);
                    await PostgresAdmin.CreateDatabaseAsync(connection, spec.PostgresDatabase, owner.Status!.PostgresRole!, cancellationToken).ConfigureAwait(false);
                    return database;
                }, cancellationToken), provisioning.Queued(parent.ProjectId, () =>
                {
                    Catalog.Store.Write(batch => batch.DeleteTree(name.ToString()));
                    return Task.CompletedTask;
                }));
        }
    }

    public Database Get(ResourceName name) => Catalog.RequireChild<Database>(name);

    public IEnumerable<Database> List(ResourceName parent)
    {
        Catalog.RequireBranch(parent);
        return Catalog.Databases(parent.ToString());
    }

    public Operation Update(ResourceName name, Database body, JsonObject rawBody, string? updateMask)
    {
        var mask = MaskedUpdate.Parse(ResourceKind.Database, updateMask, rawBody);
        lock (provisioning.MetadataGate)
        {
            var database = Catalog.RequireChild<Database>(name);
            var spec = body.Spec ?? new DatabaseSpec();
            var previousName = database.Status!.PostgresDatabase!;
            var newName = previousName;
            if (mask.Covers("spec.postgres_database"))
            {
                Validation.PostgresName("database.spec.postgres_database", spec.PostgresDatabase);
                newName = spec.PostgresDatabase;
            }
            var owner = OwnerOf(name, mask.Covers("spec.role") ? spec.Role : database.Status.Role);
            // PostgreSQL first; the metadata is written after, onto the database as it is then.
            return operations.Start(name, OperationVerb.Update, _ => { },
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await using (var connection = await provisioning.ConnectAsync(name.BranchName!, "postgres", cancellationToken).ConfigureAwait(false))
                        await PostgresAdmin.AlterDatabaseAsync(connection, previousName, newName, owner.Status!.PostgresRole!, cancellationToken).ConfigureAwait(false);
                    var current = Catalog.RequireChild<Database>(name);
                    current.Status!.PostgresDatabase = newName;
                    current.Status.Role = owner.Name;
                    current.UpdateTime = Catalog.Now();
                    Catalog.Store.Write(batch => batch.Put(ResourceKind.Database, current, current.Name!, current.Parent));
                    return current;
                }, cancellationToken));
        }
    }

    public Operation Delete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            var database = Catalog.RequireChild<Database>(name);
            if (Catalog.Store.IsImplicit(name.ToString()))
                throw ApiException.ManagedByParent($"Cannot delete database '{name}'. It was created with its project and is deleted with it.");
            // DROP DATABASE first; the metadata goes once the database is gone.
            return operations.Start(name, OperationVerb.Delete, _ => { },
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await using (var connection = await provisioning.ConnectAsync(name.BranchName!, "postgres", cancellationToken).ConfigureAwait(false))
                        await PostgresAdmin.DropDatabaseAsync(connection, database.Status!.PostgresDatabase!, cancellationToken).ConfigureAwait(false);
                    Catalog.Store.Write(batch => Forget(Catalog.Store, batch, name, database.Status!.PostgresDatabase!));
                    return null;
                }, cancellationToken));
        }
    }

    /// <summary>Removes a dropped database from the metadata, with the Unity Catalog catalogs and synced tables
    /// registered on it: they would point at nothing (the service drops a registration whose database a restore
    /// took away, lakebase-semantics §3.8).</summary>
    public static void Forget(StateStore store, StateStore.WriteBatch batch, ResourceName database, string postgresDatabase)
    {
        batch.DeleteTree(database.ToString());
        var branch = database.BranchName!;
        foreach (var catalog in store.List<Contract.Models.Catalogs.Catalog>(ResourceKind.Catalog, branch).Where(c => c.Status!.PostgresDatabase == postgresDatabase))
            batch.DeleteTree(catalog.Name!);
        foreach (var table in store.List<SyncedTable>(ResourceKind.SyncedTable, branch).Where(t => t.Spec!.PostgresDatabase == postgresDatabase))
            batch.DeleteTree(table.Name!);
    }

    /// <summary>spec.role is the owning role's resource name; it must be a role of the same branch.</summary>
    private Role OwnerOf(ResourceName branch, string? roleName)
    {
        if (string.IsNullOrEmpty(roleName)) throw ApiException.Required("database.spec.role");
        if (!ResourceName.TryParse(roleName, out var role) || role.Kind != ResourceKind.Role)
            throw ApiException.InvalidParameter($"database.spec.role must be a role resource name (projects/…/branches/…/roles/…), got '{roleName}'.");
        if (role.BranchName != branch.BranchName)
            throw ApiException.InvalidParameter($"database.spec.role must be a role of {branch.BranchName}, got '{roleName}'.");
        return Catalog.Store.Get<Role>(role.ToString()) ?? throw ApiException.NotFound(role);
    }
}
