using System.Globalization;
using Lakebase.Contract.Local;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Proxy;

namespace Lakebase.Local.Hosting;

/// <summary>The command line of Lakebase Local.</summary>
internal sealed record LocalServerOptions(string StateRoot, int Port, string UserName, string? PostgresRoot, int ProxyPort, LocalLimits Limits,
    TimeSpan MinimumCredentialTtl, SessionLimits Sessions, AutoscalingOptions Autoscaling, TimeSpan SyncInterval, bool Overlays)
{
    public const int DefaultPort = 8470;
    public const string DefaultUserName = "admin@lakebase.local";

    public const string Usage = """
        Usage: lakebase-local [--root <dir>] [--port <port>] [--user <name>] [--pg-root <dir>]

          --root <dir>     state root (default: $LAKEBASE_LOCAL_ROOT, /var/lib/lakebase-local as root,
                           otherwise the per-user data folder)
          --port <port>    REST API port on 127.0.0.1 (default 8470; 0 picks a free port)
          --user <name>    the local user identity (default admin@lakebase.local)
          --pg-root <dir>  folder holding <major>/bin/postgres (default: where this OS's packagings put it,
                           /usr/lib/postgresql on Debian and Ubuntu)
          --proxy-port <port>  the proxy's shared port on 127.0.0.1 (default 5432, or a free one when taken)
          --overlays       a branch at a past time is an overlay on its base snapshot (Linux, as root): made without
                           copying it, each file copied up on its first write (default: a copy)

        For tests (the service's own limits are longer):
          --min-suspend-timeout <seconds>  shortest suspend timeout endpoints may use (default 60)
          --min-credential-ttl <seconds>   shortest database credential lifetime (default 300)
          --min-history-retention <seconds>  shortest history_retention_duration projects may use (default 172800)
          --base-snapshot-interval <seconds> time between base snapshots of a running branch (default 86400)
          --housekeeping-interval <seconds>  how often expiry, purges and history pruning run (default 5)
          --snapshot-check-interval <seconds> how often running branches are looked at for a base snapshot their
                                           WAL or the interval made due (default 0.5; fractions allowed)
          --handshake-timeout <seconds>    time a client has to authenticate (default 30)
          --idle-session-timeout <seconds> idle sessions are closed after this long (default 86400, a day)
          --max-session-duration <seconds> every session is closed after this long (default 259200, three days)
          --autoscale-interval <seconds>   how often computes' load is sampled (default 2; fractions allowed)
          --scale-down-delay <seconds>     how long load must stay lower before a compute shrinks (default 60)
          --max-projects <n>               projects the workspace may have (default 1000)
          --max-roles-per-branch <n>       roles a branch may have (default 500)
          --max-databases-per-branch <n>   databases a branch may have (default 500)
          --legacy-pg-version <major>      lets new projects also use a major the service does not offer
                                           (benches compare 17 with 15); repeatable
          --sync-interval <seconds>        how often CONTINUOUS synced tables look for new Delta versions (default 15)
        """;

    /// <summary>Null when the arguments ask for help; throws ArgumentException on a bad argument.</summary>
    public static LocalServerOptions? Parse(IReadOnlyList<string> args)
    {
        var root = LocalPaths.DefaultStateRoot();
        var port = DefaultPort;
        var user = DefaultUserName;
        string? postgresRoot = null;
        var proxyPort = Proxy.ProxyServer.PostgresPort;
        var limits = new LocalLimits();
        var minimumCredentialTtl = TimeSpan.FromSeconds(300);
        var sessions = new SessionLimits();
        var autoscaling = new AutoscalingOptions();
        var syncInterval = TimeSpan.FromSeconds(15);
        var overlays = false;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--root": root = Path.GetFullPath(Value()); break;
                case "--port": port = ParsePort(args[i], Value()); break;
                case "--user": user = Value(); break;
                case "--pg-root": postgresRoot = Path.GetFullPath(Value()); break;
                case "--proxy-port": proxyPort = ParsePort(args[i], Value()); break;
                case "--overlays": overlays = true; break;
                case "--min-suspend-timeout": limits = limits with { MinSuspendTimeout = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--min-history-retention": limits = limits with { MinHistoryRetention = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--base-snapshot-interval": limits = limits with { BaseSnapshotInterval = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--housekeeping-interval": limits = limits with { HousekeepingInterval = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--snapshot-check-interval": limits = limits with { SnapshotCheckInterval = ParseInterval(args[i], Value()) }; break;
                case "--min-credential-ttl": minimumCredentialTtl = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())); break;
                case "--handshake-timeout": sessions = sessions with { HandshakeTimeout = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--idle-session-timeout": sessions = sessions with { IdleSessionTimeout = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--max-session-duration": sessions = sessions with { MaxSessionDuration = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--autoscale-interval": autoscaling = autoscaling with { Interval = ParseInterval(args[i], Value()) }; break;
                case "--scale-down-delay": autoscaling = autoscaling with { ScaleDownDelay = TimeSpan.FromSeconds(ParseSeconds(args[i], Value())) }; break;
                case "--max-projects": limits = limits with { MaxProjects = ParseCount(args[i], Value()) }; break;
                case "--max-roles-per-branch": limits = limits with { MaxRolesPerBranch = ParseCount(args[i], Value()) }; break;
                case "--max-databases-per-branch": limits = limits with { MaxDatabasesPerBranch = ParseCount(args[i], Value()) }; break;
                case "--legacy-pg-version": limits = limits with { PgVersions = [.. limits.PgVersions, ParseMajor(args[i], Value())] }; break;
                case "--sync-interval": syncInterval = ParseInterval(args[i], Value()); break;
                case "--help" or "-h": return null;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        return new LocalServerOptions(root, port, user, postgresRoot, proxyPort, limits, minimumCredentialTtl, sessions, autoscaling, syncInterval, overlays);
    }

    private static int ParsePort(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new ArgumentException($"{option} must be a port number, got '{text}'.");

    private static TimeSpan ParseInterval(string option, string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0.01 && seconds <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{option} must be a number of seconds between 0.01 and 3600, got '{text}'.");

    private static int ParseSeconds(string option, string text) => ParsePositive(option, text, "a number of seconds");

    private static int ParseCount(string option, string text) => ParsePositive(option, text, "a positive whole number");

    private static int ParsePositive(string option, string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option} must be {what}, got '{text}'.");

    private static int ParseMajor(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var major) && major is >= 10 and < 100
            ? major
            : throw new ArgumentException($"{option} must be a PostgreSQL major version such as 15, got '{text}'.");
}
