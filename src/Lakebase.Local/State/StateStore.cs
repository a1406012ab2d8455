using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;
using Microsoft.Data.Sqlite;

namespace Lakebase.Local.State;

/// <summary>What an operation does; decides how a crash-interrupted one is settled at the next start.</summary>
internal enum OperationVerb { Create, Update, Delete, Undelete }

/// <summary>
/// The control plane's metadata in SQLite (WAL journal, synchronous=FULL): every resource as its wire JSON keyed by
/// its name, and every operation. A write batch is one transaction, so a crash keeps either all of a change or none.
/// </summary>
internal sealed class StateStore
{
    private readonly string _connectionString;

    public StateStore(string databaseFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databaseFile))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databaseFile, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS resources (
                name TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                parent TEXT,
                body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (parent, kind);
            CREATE TABLE IF NOT EXISTS operations (
                name TEXT PRIMARY KEY,
                verb TEXT NOT NULL,
                done INTEGER NOT NULL,
                body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS permissions (
                name TEXT PRIMARY KEY,
                body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS implicit_resources (
                name TEXT PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS secrets (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (kind, id));
            """);
    }

    public T? Get<T>(string name) where T : class
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT body FROM resources WHERE name = $name", ("$name", name));
        return command.ExecuteScalar() is string body ? WireJson.Deserialize<T>(body) : null;
    }

    /// <summary>The children of one kind under a parent, in creation order.</summary>
    public List<T> List<T>(ResourceKind kind, string? parent) where T : class
    {
        using var connection = Open();
        using var command = parent is null
            ? Command(connection, "SELECT body FROM resources WHERE kind = $kind ORDER BY rowid", ("$kind", kind.ToString()))
            : Command(connection, "SELECT body FROM resources WHERE kind = $kind AND parent = $parent ORDER BY rowid", ("$kind", kind.ToString()), ("$parent", parent));
        using var reader = command.ExecuteReader();
        var items = new List<T>();
        while (reader.Read()) items.Add(WireJson.Deserialize<T>(reader.GetString(0))!);
        return items;
    }

    public Operation? GetOperation(string name)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT body FROM operations WHERE name = $name", ("$name", name));
        return command.ExecuteScalar() is string body ? WireJson.Deserialize<Operation>(body) : null;
    }

    /// <summary>Operations a crash interrupted, with the verb that started them.</summary>
    public List<(Operation Operation, OperationVerb Verb)> UnfinishedOperations()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT body, verb FROM operations WHERE done = 0");
        using var reader = command.ExecuteReader();
        var items = new List<(Operation, OperationVerb)>();
        while (reader.Read()) items.Add((WireJson.Deserialize<Operation>(reader.GetString(0))!, Enum.Parse<OperationVerb>(reader.GetString(1))));
        return items;
    }

    /// <summary>The access control list of a project (by its resource name), as stored; null when it has none.</summary>
    public List<AccessControlRequest>? GetPermissions(string projectName)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT body FROM permissions WHERE name = $name", ("$name", projectName));
        return command.ExecuteScalar() is string body ? WireJson.Deserialize<List<AccessControlRequest>>(body) : null;
    }

    /// <summary>Whether the resource was made implicitly with its parent (see WriteBatch.MarkImplicit).</summary>
    public bool IsImplicit(string name)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT 1 FROM implicit_resources WHERE name = $name", ("$name", name));
        return command.ExecuteScalar() is not null;
    }

    public string? GetSecret(string kind, string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT body FROM secrets WHERE kind = $kind AND id = $id", ("$kind", kind), ("$id", id));
        return command.ExecuteScalar() as string;
    }

    /// <summary>Applies a set of changes in one transaction.</summary>
    public void Write(Action<WriteBatch> changes)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        changes(new WriteBatch(connection, transaction));
        transaction.Commit();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    /// <summary>The changes of one transaction.</summary>
    public sealed class WriteBatch(SqliteConnection connection, SqliteTransaction transaction)
    {
        public void Put<T>(ResourceKind kind, T resource, string name, string? parent) => Run(
            "INSERT INTO resources (name, kind, parent, body) VALUES ($name, $kind, $parent, $body) " +
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body",
            ("$name", name), ("$kind", kind.ToString()), ("$parent", (object?)parent ?? DBNull.Value), ("$body", WireJson.Serialize(resource)));

        /// <summary>Removes a resource and everything under it (its branches, endpoints, roles, databases; a project's
        /// permissions), and what is recorded with any of those as its parent though named elsewhere (the catalogs and
        /// synced tables on a branch, and their pipeline updates): they would point at nothing.</summary>
        public void DeleteTree(string name)
        {
            Run("""
                WITH RECURSIVE doomed(name) AS (
                    SELECT name FROM resources WHERE name = $name OR name LIKE $prefix ESCAPE '\'
                    UNION SELECT resources.name FROM resources JOIN doomed ON resources.parent = doomed.name)
                DELETE FROM resources WHERE name IN (SELECT name FROM doomed)
                """, ("$name", name), ("$prefix", LikePrefix(name)));
            Run("DELETE FROM permissions WHERE name = $name", ("$name", name));
            Run(@"DELETE FROM implicit_resources WHERE name = $name OR name LIKE $prefix ESCAPE '\'", ("$name", name), ("$prefix", LikePrefix(name)));
        }

        /// <summary>Records that a resource was made with its parent, as the service's implicit children are (the
        /// first branch's database and its creator's role): it is deleted only with its parent.</summary>
        public void MarkImplicit(string name) => Run("INSERT INTO implicit_resources (name) VALUES ($name) ON CONFLICT (name) DO NOTHING", ("$name", name));

        /// <summary>A LIKE pattern for the names under <paramref name="name"/>, its wildcards escaped.</summary>
        private static string LikePrefix(string name) => name.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "/%";

        public void PutPermissions(string projectName, IReadOnlyList<AccessControlRequest> accessControlList) => Run(
            "INSERT INTO permissions (name, body) VALUES ($name, $body) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
            ("$name", projectName), ("$body", WireJson.Serialize(accessControlList)));

        public void PutOperation(Operation operation, OperationVerb verb) => Run(
            "INSERT INTO operations (name, verb, done, body) VALUES ($name, $verb, $done, $body) " +
            "ON CONFLICT (name) DO UPDATE SET done = excluded.done, body = excluded.body",
            ("$name", operation.Name!), ("$verb", verb.ToString()), ("$done", operation.IsDone ? 1 : 0), ("$body", WireJson.Serialize(operation)));

        public void PutSecret(string kind, string id, string body) => Run(
            "INSERT INTO secrets (kind, id, body) VALUES ($kind, $id, $body) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            ("$kind", kind), ("$id", id), ("$body", body));

        private void Run(string sql, params (string Name, object Value)[] parameters)
        {
            using var command = Command(connection, sql, parameters);
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
    }
}
