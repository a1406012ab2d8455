using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lakebase.Local.Postgres;

namespace Lakebase.Local.Compute;

/// <summary>
/// What an endpoint's PgBouncer runs with, as Lakebase's pooler (lakebase-semantics.md §1.2, the service's
/// connection-pooling page): transaction mode, one pool per (database, user) of about 90 % of the compute's
/// max_connections, and 10,000 client connections, scaled here by the ratio of this machine's largest max_connections
/// to the service's cap of 4,000. It listens only on a private Unix socket, reached by the proxy once it has checked the
/// client's token: PgBouncer trusts that socket as the compute trusts its own, and looks roles up in PostgreSQL
/// (auth_query) so it keeps no list of users or passwords. Idle server connections are closed after a minute, so
/// they neither hold the compute's slots nor stand in for activity (the suspend monitor counts running queries and
/// open transactions, never idle backends).
/// </summary>
internal sealed partial record PoolerConfiguration(string ComputeSocketDirectory, string Directory, double ConnectionsCu, TimeSpan ClientIdleTimeout)
{
    public const string FileName = "pgbouncer.ini";
    public const string PidFileName = "pgbouncer.pid";
    public const string LogFileName = "pgbouncer.log";

    /// <summary>The service's pooler limits (lakebase-semantics.md §1.2).</summary>
    private const int ServiceClientConnections = 10_000;
    private const int ServiceMaxConnectionsCap = 4_000;
    private const double PoolShareOfMaxConnections = 0.9;
    private static readonly TimeSpan ServerIdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>A path PgBouncer's configuration can hold as it is: no spaces, quotes, comment or separator characters.</summary>
    [GeneratedRegex("^/[A-Za-z0-9/._+-]+$")]
    private static partial Regex PlainPath();

    /// <summary>Server connections each (database, user) pool may open.</summary>
    public int PoolSize => (int)(MaxConnections(ConnectionsCu) * PoolShareOfMaxConnections);

    /// <summary>Client connections the pooler accepts, in all.</summary>
    public static int ClientConnections =>
        (int)Math.Round((double)ServiceClientConnections * MaxConnections(ComputeSize.LargestCu) / ServiceMaxConnectionsCap);

    public string SocketFile => Path.Combine(Directory, ".s.PGSQL.5432");
    public string ConfigurationFile => Path.Combine(Directory, FileName);
    public string PidFile => Path.Combine(Directory, PidFileName);
    public string LogFile => Path.Combine(Directory, LogFileName);

    /// <summary>The configuration file's text; refuses a path it could not hold safely.</summary>
    public string Render()
    {
        foreach (var path in new[] { ComputeSocketDirectory, Directory })
        {
            if (!PlainPath().IsMatch(path))
                throw new InvalidOperationException($"PgBouncer cannot be configured for {path}: use a state root whose path has only letters, digits and / . _ + -");
        }
        var text = new StringBuilder("; Written by Lakebase Local at every start of this pooler; edits are overwritten.\n[databases]\n");
        text.Append("* = host=").Append(ComputeSocketDirectory).Append(" port=5432\n[pgbouncer]\n");
        void Set(string key, string value) => text.Append(key).Append(" = ").Append(value).Append('\n');
        Set("listen_port", "5432");
        Set("unix_socket_dir", Directory);
        Set("unix_socket_mode", "0700");
        Set("pidfile", PidFile);
        Set("logfile", LogFile);
        Set("log_connections", "0");
        Set("log_disconnections", "0");
        Set("auth_type", "trust");
        Set("auth_user", Storage.BranchStorage.AdminRole);
        Set("auth_query", "SELECT rolname::text, NULL::text FROM pg_catalog.pg_authid WHERE rolname = $1 AND rolcanlogin");
        Set("pool_mode", "transaction");
        Set("max_client_conn", Number(ClientConnections));
        Set("default_pool_size", Number(PoolSize));
        Set("server_idle_timeout", Number((long)ServerIdleTimeout.TotalSeconds));
        Set("client_idle_timeout", Number((long)ClientIdleTimeout.TotalSeconds));
        // JDBC sends it at every connect; PgBouncer's documentation suggests ignoring it.
        Set("ignore_startup_parameters", "extra_float_digits");
        return text.ToString();
    }

    private static int MaxConnections(double cu) =>
        int.Parse(ComputeSize.Settings(cu, cu, cu)["max_connections"], CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
