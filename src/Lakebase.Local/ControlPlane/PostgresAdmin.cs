using System.Security.Cryptography;
using Lakebase.Contract.Models;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.ControlPlane;

/// <summary>The SQL that makes roles and databases real on a branch's compute. Values go as parameters; names, which
/// DDL cannot take as parameters, as quoted identifiers (no setting changes how those parse).</summary>
internal static class PostgresAdmin
{
    public static string Quote(string identifier) => identifier.Length == 0 || identifier.Any(char.IsControl)
        ? throw new ArgumentException($"'{identifier}' cannot be a PostgreSQL name: it is empty or holds control characters.", nameof(identifier))
        : "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public static async Task CreateRoleAsync(NpgsqlConnection connection, RoleStatus role, CancellationToken cancellationToken)
    {
        var login = role.AuthMethod == AuthMethod.NoLogin ? "NOLOGIN" : "LOGIN";
        await ExecuteAsync(connection, $"CREATE ROLE {Quote(role.PostgresRole!)} {login} {Attributes(role.Attributes)}", cancellationToken).ConfigureAwait(false);
        await SetMembershipAsync(connection, role.PostgresRole!, role.MembershipRoles, cancellationToken).ConfigureAwait(false);
    }

    public static async Task AlterRoleAsync(NpgsqlConnection connection, string currentName, RoleStatus role, CancellationToken cancellationToken)
    {
        if (currentName != role.PostgresRole)
            await ExecuteAsync(connection, $"ALTER ROLE {Quote(currentName)} RENAME TO {Quote(role.PostgresRole!)}", cancellationToken).ConfigureAwait(false);
        var login = role.AuthMethod == AuthMethod.NoLogin ? "NOLOGIN" : "LOGIN";
        await ExecuteAsync(connection, $"ALTER ROLE {Quote(role.PostgresRole!)} {login} {Attributes(role.Attributes)}", cancellationToken).ConfigureAwait(false);
        await SetMembershipAsync(connection, role.PostgresRole!, role.MembershipRoles, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a role; with <paramref name="reassignTo"/>, what it owns in every database goes to that role first.</summary>
    public static async Task DropRoleAsync(Func<string, Task<NpgsqlConnection>> connect, string role, string? reassignTo, CancellationToken cancellationToken)
    {
        if (reassignTo is not null)
        {
            List<string> databases;
            await using (var admin = await connect("postgres").ConfigureAwait(false))
                databases = await QueryStringsAsync(admin, "SELECT datname FROM pg_database WHERE datallowconn", cancellationToken).ConfigureAwait(false);
            foreach (var database in databases)
            {
                await using var connection = await connect(database).ConfigureAwait(false);
                await ExecuteAsync(connection, $"REASSIGN OWNED BY {Quote(role)} TO {Quote(reassignTo)}; DROP OWNED BY {Quote(role)}", cancellationToken).ConfigureAwait(false);
            }
        }
        await using var postgres = await connect("postgres").ConfigureAwait(false);
        await ExecuteAsync(postgres, $"DROP ROLE IF EXISTS {Quote(role)}", cancellationToken).ConfigureAwait(false);
    }

    public static Task CreateDatabaseAsync(NpgsqlConnection connection, string database, string owner, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"CREATE DATABASE {Quote(database)} OWNER {Quote(owner)}", cancellationToken);

    public static async Task AlterDatabaseAsync(NpgsqlConnection connection, string currentName, string newName, string owner, CancellationToken cancellationToken)
    {
        if (currentName != newName)
        {
            // A database cannot be renamed while anyone is connected to it.
            await ExecuteAsync(connection, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                cancellationToken, currentName).ConfigureAwait(false);
            await ExecuteAsync(connection, $"ALTER DATABASE {Quote(currentName)} RENAME TO {Quote(newName)}", cancellationToken).ConfigureAwait(false);
        }
        await ExecuteAsync(connection, $"ALTER DATABASE {Quote(newName)} OWNER TO {Quote(owner)}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives every role with a password (but Lakebase Local's own) a new one that no one knows, as the service does for
    /// a branch made from a protected branch: a random SCRAM-SHA-256 verifier, so no password is in the SQL's text, a
    /// log or pg_stat_statements. The branch's owner sets a new password with ALTER ROLE ... PASSWORD. A role named in
    /// <paramref name="kept"/> gets the verifier given there instead (or none, for null), as a child of a protected
    /// branch keeps its roles' own passwords through a reset.
    /// </summary>
    public static async Task ReplacePasswordsAsync(NpgsqlConnection connection, IReadOnlyDictionary<string, string?>? kept, CancellationToken cancellationToken)
    {
        foreach (var (role, current) in await PasswordsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            var wanted = kept is not null && kept.TryGetValue(role, out var own) ? own : current is null ? null : UnknownPasswordVerifier();
            if (wanted == current) continue;
            // ALTER ROLE takes no parameters: PostgreSQL's own format() quotes the name and the verifier (or NULL) into the statement.
            await using var statement = new NpgsqlCommand("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", connection)
            {
                Parameters = { new() { Value = role }, new() { Value = (object?)wanted ?? DBNull.Value } },
            };
            var alter = (string)(await statement.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await ExecuteAsync(connection, alter, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every role's password verifier (null for a role without one), by name, but Lakebase Local's own role's.</summary>
    public static async Task<Dictionary<string, string?>> PasswordsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var passwords = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var query = new NpgsqlCommand("SELECT rolname, rolpassword FROM pg_authid WHERE rolname <> $1", connection)
        {
            Parameters = { new() { Value = BranchStorage.AdminRole } },
        };
        await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) passwords[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        return passwords;
    }

    /// <summary>A verifier in PostgreSQL's format (iterations:salt$StoredKey:ServerKey, base64) whose keys are random
    /// bytes: no password derives them.</summary>
    private static string UnknownPasswordVerifier() =>
        $"SCRAM-SHA-256$4096:{Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}$" +
        $"{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}:{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";

    public static Task DropDatabaseAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {Quote(database)} WITH (FORCE)", cancellationToken);

    private static string Attributes(RoleAttributes? attributes) =>
        $"{(attributes?.Createdb == true ? "CREATEDB" : "NOCREATEDB")} {(attributes?.Createrole == true ? "CREATEROLE" : "NOCREATEROLE")} " +
        $"{(attributes?.Bypassrls == true ? "BYPASSRLS" : "NOBYPASSRLS")}";

    private static async Task SetMembershipAsync(NpgsqlConnection connection, string role, IReadOnlyCollection<string>? memberships, CancellationToken cancellationToken)
    {
        var superuser = memberships?.Contains(MembershipRole.DatabricksSuperuser) == true;
        // The project's owners manage the roles the API made in SQL too (ALTER ROLE ... PASSWORD, as Lakebase's docs
        // show), which PostgreSQL 16 allows only with ADMIN OPTION on the role. A member of databricks_superuser
        // cannot also be administered by it (that would be a cycle), so a role holds one grant or the other.
        var sql = superuser
            ? $"REVOKE {Quote(role)} FROM {BranchStorage.SuperuserRole}; GRANT {BranchStorage.SuperuserRole} TO {Quote(role)}"
            : $"REVOKE {BranchStorage.SuperuserRole} FROM {Quote(role)}; GRANT {Quote(role)} TO {BranchStorage.SuperuserRole} WITH ADMIN OPTION";
        await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A login role that can read the given tables of the connection's database and do nothing else: it owns nothing,
    /// is granted SELECT on those tables (and USAGE on their schemas) only, and its transactions are read-only.
    /// Tables that do not exist are skipped: the scope grants nothing for them. Safe to run again, and at once.
    /// </summary>
    public static async Task EnsureReadOnlyRoleAsync(NpgsqlConnection connection, string role, IEnumerable<(string Schema, string Table)> tables,
        CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, $"CREATE ROLE {Quote(role)} LOGIN NOINHERIT", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            // Made by an earlier session of the same scope.
        }
        await ExecuteAsync(connection, $"ALTER ROLE {Quote(role)} SET default_transaction_read_only = on", cancellationToken).ConfigureAwait(false);
        foreach (var (schema, table) in tables)
        {
            await using var exists = new NpgsqlCommand(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", connection)
            {
                Parameters = { new() { Value = schema }, new() { Value = table } },
            };
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null) continue;
            await ExecuteAsync(connection, $"GRANT USAGE ON SCHEMA {Quote(schema)} TO {Quote(role)}; GRANT SELECT ON {Quote(schema)}.{Quote(table)} TO {Quote(role)}",
                cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<string>> QueryStringsAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var values = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) values.Add(reader.GetString(0));
        return values;
    }
}
