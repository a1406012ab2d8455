using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;
using Npgsql;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// Settles a role or database operation a crash cut off by asking PostgreSQL what happened: a create whose role or
/// database exists is rolled forward, one whose does not is rolled back; a delete whose object is gone is finished,
/// one whose object remains keeps it listed; an update is rolled back to the recorded state. Database owners are then
/// read back from PostgreSQL, since a role deleted with reassign_owned_to hands its databases on.
/// </summary>
internal sealed class RoleAndDatabaseReconciler(Provisioning provisioning, RecoveryReport report)
{
    private StateStore Store => provisioning.Catalog.Store;

    public async Task<Settlement> SettleAsync(ResourceName target, OperationVerb verb, CancellationToken cancellationToken)
    {
        if (Store.Get<Branch>(target.BranchName!) is null)
        {
            Store.Write(batch => batch.DeleteTree(target.ToString()));
            return Settlement.RolledBack;
        }
        try
        {
            await using var connection = await provisioning.ConnectAsync(target.BranchName!, "postgres", cancellationToken).ConfigureAwait(false);
            var settlement = target.Kind == ResourceKind.Role
                ? await SettleRoleAsync(connection, target, verb, cancellationToken).ConfigureAwait(false)
                : await SettleDatabaseAsync(connection, target, verb, cancellationToken).ConfigureAwait(false);
            await SyncOwnersAsync(connection, target.BranchName!, cancellationToken).ConfigureAwait(false);
            return settlement;
        }
        catch (Exception ex) when (ex is ApiException or NpgsqlException or InvalidOperationException or TimeoutException or IOException)
        {
            report.Add($"Could not check the interrupted {verb.ToString().ToLowerInvariant()} of {target} against PostgreSQL ({ex.Message}); its metadata is kept as it was.");
            return new Settlement(false, null, $"whether it took effect could not be checked: {ex.Message}");
        }
    }

    private async Task<Settlement> SettleRoleAsync(NpgsqlConnection connection, ResourceName target, OperationVerb verb, CancellationToken cancellationToken)
    {
        var role = Store.Get<Role>(target.ToString());
        var exists = role is not null && await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role.Status!.PostgresRole!, cancellationToken)
            .ConfigureAwait(false);
        switch (verb)
        {
            case OperationVerb.Create when exists:
                report.Add($"Kept {target}: its interrupted create had made the role in PostgreSQL.");
                return Settlement.Done(role);
            case OperationVerb.Create or OperationVerb.Delete when !exists:
                Store.Write(batch => batch.DeleteTree(target.ToString()));
                if (role is null) return verb == OperationVerb.Delete ? Settlement.Done(null) : Settlement.RolledBack;
                report.Add($"Removed {target} from the metadata: PostgreSQL has no role \"{role.Status!.PostgresRole}\".");
                return verb == OperationVerb.Delete ? Settlement.Done(null) : Settlement.RolledBack;
            case OperationVerb.Delete:
                report.Add($"Kept {target}: its interrupted delete had not dropped the role.");
                return new Settlement(false, null, "the role was not dropped and is still listed.");
            default:
                if (!exists)
                {
                    report.Add($"{target} is recorded as \"{role?.Status?.PostgresRole}\", which PostgreSQL no longer has: its interrupted update had renamed it.");
                    return new Settlement(false, null, "the role was renamed in PostgreSQL but not in the metadata.");
                }
                await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    await PostgresAdmin.AlterRoleAsync(connection, role!.Status!.PostgresRole!, role.Status, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                return Settlement.RolledBack;
        }
    }

    private async Task<Settlement> SettleDatabaseAsync(NpgsqlConnection connection, ResourceName target, OperationVerb verb, CancellationToken cancellationToken)
    {
        var database = Store.Get<Database>(target.ToString());
        var exists = database is not null && await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", database.Status!.PostgresDatabase!,
            cancellationToken).ConfigureAwait(false);
        switch (verb)
        {
            case OperationVerb.Create when exists:
                report.Add($"Kept {target}: its interrupted create had made the database in PostgreSQL.");
                return Settlement.Done(database);
            case OperationVerb.Create or OperationVerb.Delete when !exists:
                Store.Write(batch =>
                {
                    if (database is null) batch.DeleteTree(target.ToString());
                    else DatabaseService.Forget(Store, batch, target, database.Status!.PostgresDatabase!);
                });
                if (database is not null) report.Add($"Removed {target} from the metadata: PostgreSQL has no database \"{database.Status!.PostgresDatabase}\".");
                return verb == OperationVerb.Delete ? Settlement.Done(null) : Settlement.RolledBack;
            case OperationVerb.Delete:
                report.Add($"Kept {target}: its interrupted delete had not dropped the database.");
                return new Settlement(false, null, "the database was not dropped and is still listed.");
            default:
                if (exists) return Settlement.RolledBack;
                report.Add($"{target} is recorded as \"{database?.Status?.PostgresDatabase}\", which PostgreSQL no longer has: its interrupted update had renamed it.");
                return new Settlement(false, null, "the database was renamed in PostgreSQL but not in the metadata.");
        }
    }

    /// <summary>Records each database's owner as PostgreSQL has it, where that owner is a role of the branch.</summary>
    private async Task SyncOwnersAsync(NpgsqlConnection connection, string branchName, CancellationToken cancellationToken)
    {
        var owners = await ClusterObjects.ReadDatabaseOwnersAsync(connection, cancellationToken).ConfigureAwait(false);
        var roles = provisioning.Catalog.Roles(branchName).ToDictionary(role => role.Status!.PostgresRole!, role => role.Name!);
        foreach (var database in provisioning.Catalog.Databases(branchName))
        {
            if (!owners.TryGetValue(database.Status!.PostgresDatabase!, out var owner) || !roles.TryGetValue(owner, out var roleName) || roleName == database.Status.Role)
                continue;
            report.Add($"{database.Name} is owned by {roleName} in PostgreSQL; the metadata said {database.Status.Role}.");
            database.Status.Role = roleName;
            Store.Write(batch => batch.Put(ResourceKind.Database, database, database.Name!, database.Parent));
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = name } } };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }
}
