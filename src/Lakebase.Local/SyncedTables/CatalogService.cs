using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;
using Lakebase.Local.Storage;
using Npgsql;
using Lakebase.Contract.Models.Catalogs;
using UcCatalog = Lakebase.Contract.Models.Catalogs.Catalog;

namespace Lakebase.Local.SyncedTables;

/// <summary>Catalogs: a branch's PostgreSQL database registered in (local) Unity Catalog, one catalog per database.</summary>
internal sealed class CatalogService(Provisioning provisioning, OperationRunner operations)
{
    private StateStore Store => provisioning.Catalog.Store;

    public Operation Create(string? catalogId, UcCatalog body)
    {
        if (string.IsNullOrEmpty(catalogId)) throw ApiException.Required("catalog_id");
        if (!UnityCatalog.NamePart().IsMatch(catalogId))
            throw ApiException.InvalidParameter($"catalog_id must contain only letters, digits and '_', got '{catalogId}'.");
        var spec = body.Spec ?? new CatalogSpec();
        if (string.IsNullOrEmpty(spec.PostgresDatabase)) throw ApiException.Required("catalog.spec.postgres_database");
        if (string.IsNullOrEmpty(spec.Branch)) throw ApiException.Required("catalog.spec.branch");
        var branch = ParseBranch("catalog.spec.branch", spec.Branch);
        var name = ResourceName.Catalog(catalogId);
        lock (provisioning.MetadataGate)
        {
            provisioning.Catalog.RequireBranch(branch);
            if (Store.Get<UcCatalog>(name.ToString()) is not null)
                throw ApiException.BadRequest($"Catalog '{catalogId}' already exists.");
            if (Store.List<UcCatalog>(ResourceKind.Catalog, branch.ToString()).FirstOrDefault(c => c.Status!.PostgresDatabase == spec.PostgresDatabase) is { } other)
                throw ApiException.BadRequest($"Database '{spec.PostgresDatabase}' of {branch} is already registered as catalog '{other.CatalogId}'.");
            var now = ControlPlane.Catalog.Now();
            var catalog = new UcCatalog
            {
                Name = name.ToString(),
                CatalogId = catalogId,
                Uid = Guid.NewGuid().ToString(),
                CreateTime = now,
                UpdateTime = now,
                Status = new CatalogStatus { Branch = branch.ToString(), PostgresDatabase = spec.PostgresDatabase, Project = branch.ProjectName },
            };
            return operations.Start(name, OperationVerb.Create, batch => batch.Put(ResourceKind.Catalog, catalog, catalog.Name!, branch.ToString()),
                async cancel =>
                {
                    await EnsureDatabaseAsync(provisioning, branch.ToString(), spec.PostgresDatabase, spec.CreateDatabaseIfMissing == true, cancel);
                    return catalog;
                },
                () =>
                {
                    Store.Write(batch => batch.DeleteTree(name.ToString()));
                    return Task.CompletedTask;
                });
        }
    }

    public UcCatalog Get(ResourceName name) =>
        Store.Get<UcCatalog>(name.ToString()) ?? throw new ApiException(ErrorCodes.NotFound, $"catalog not found; catalog_id:\"{name.Id}\"");

    /// <summary>Unregisters the catalog; the database and its data stay.</summary>
    public Operation Delete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            Get(name);
            return operations.Start(name, OperationVerb.Delete, batch => batch.DeleteTree(name.ToString()), _ => Task.FromResult<object?>(null));
        }
    }

    public UcCatalog? Find(string catalogId) => Store.Get<UcCatalog>(ResourceName.Catalog(catalogId).ToString());

    public static ResourceName ParseBranch(string field, string text) =>
        ResourceName.TryParse(text, out var branch) && branch.Kind == ResourceKind.Branch
            ? branch
            : throw ApiException.InvalidParameter($"{field} must be a branch resource name (projects/…/branches/…), got '{text}'.");

    /// <summary>The database must exist on the branch, unless the caller asked for it to be created.</summary>
    public static async Task EnsureDatabaseAsync(Provisioning provisioning, string branchName, string database, bool createIfMissing, CancellationToken cancel)
    {
        await using var connection = await provisioning.ConnectAsync(branchName, "postgres", cancel);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancel) is not null) return;
        if (!createIfMissing)
            throw ApiException.BadRequest($"Database '{database}' does not exist on {branchName}.");
        await PostgresAdmin.CreateDatabaseAsync(connection, database, BranchStorage.SuperuserRole, cancel);
    }
}
