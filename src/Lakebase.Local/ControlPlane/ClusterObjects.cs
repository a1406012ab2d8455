using Lakebase.Contract.Models;
using Npgsql;

namespace Lakebase.Local.ControlPlane;

/// <summary>The roles and databases one branch's PostgreSQL holds, as the API would record them: each role's settings
/// and each database's owner, read from the catalogs.</summary>
internal sealed class ClusterObjects
{
    private ClusterObjects(Dictionary<string, RoleStatus> roles, Dictionary<string, string> databaseOwners)
    {
        Roles = roles;
        DatabaseOwners = databaseOwners;
    }

    /// <summary>Every role, system roles included, by name.</summary>
    public IReadOnlyDictionary<string, RoleStatus> Roles { get; }

    /// <summary>Every database's owning role, by database name.</summary>
    public IReadOnlyDictionary<string, string> DatabaseOwners { get; }

    /// <summary>Reads them over an admin connection (pg_authid, which says whether a role has a password, is for
    /// superusers only).</summary>
    public static async Task<ClusterObjects> ReadAsync(NpgsqlConnection admin, CancellationToken cancellationToken)
    {
        var roles = new Dictionary<string, RoleStatus>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT a.rolname, a.rolcanlogin, a.rolpassword IS NOT NULL, a.rolcreatedb, a.rolcreaterole, a.rolbypassrls, " +
            "EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_authid s ON s.oid = m.roleid WHERE m.member = a.oid AND s.rolname = $1) " +
            "FROM pg_authid a", admin) { Parameters = { new() { Value = Storage.BranchStorage.SuperuserRole } } })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                var (identity, authMethod) = Identity(name, canLogin: reader.GetBoolean(1), hasPassword: reader.GetBoolean(2));
                roles[name] = new RoleStatus
                {
                    PostgresRole = name,
                    IdentityType = identity,
                    AuthMethod = authMethod,
                    MembershipRoles = reader.GetBoolean(6) ? [MembershipRole.DatabricksSuperuser] : [],
                    Attributes = new RoleAttributes { Createdb = reader.GetBoolean(3), Createrole = reader.GetBoolean(4), Bypassrls = reader.GetBoolean(5) },
                };
            }
        }
        return new ClusterObjects(roles, await ReadDatabaseOwnersAsync(admin, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every database's owning role, by database name.</summary>
    public static async Task<Dictionary<string, string>> ReadDatabaseOwnersAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT datname, pg_get_userbyid(datdba) FROM pg_database", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) owners[reader.GetString(0)] = reader.GetString(1);
        return owners;
    }

    /// <summary>PostgreSQL does not store a role's identity type, so it is told by the names the service gives
    /// managed identities (a user's e-mail, a service principal's application id) and by how the role logs in: a
    /// managed identity with login uses OAuth tokens, a role with a password or any other login role a password,
    /// and a role without login none.</summary>
    private static (string Identity, string AuthMethod) Identity(string name, bool canLogin, bool hasPassword)
    {
        var identity = name.Contains('@') ? IdentityType.User : Guid.TryParse(name, out _) ? IdentityType.ServicePrincipal : IdentityType.Unspecified;
        if (!canLogin) return (identity, AuthMethod.NoLogin);
        return hasPassword || identity == IdentityType.Unspecified ? (identity, AuthMethod.PgPasswordScramSha256) : (identity, AuthMethod.LakebaseOAuthV1);
    }
}
