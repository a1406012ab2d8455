using System.Globalization;
using Lakebase.Contract.Local;

namespace Lakebase.Local.Hosting;

/// <summary>The command line of Lakebase Local.</summary>
internal sealed record LocalServerOptions(string StateRoot, int Port, string UserName, string? PostgresRoot)
{
    public const int DefaultPort = 8470;
    public const string DefaultUserName = "admin@lakebase.local";

    public const string Usage = """
        Usage: lakebase-local [--root <dir>] [--port <port>] [--user <name>] [--pg-root <dir>]

          --root <dir>     state root (default: $LAKEBASE_LOCAL_ROOT, /var/lib/lakebase-local as root,
                           otherwise the per-user data folder)
          --port <port>    REST API port on 127.0.0.1 (default 8470; 0 picks a free port)
          --user <name>    the local user identity (default admin@lakebase.local)
          --pg-root <dir>  folder holding <major>/bin/postgres (default /usr/lib/postgresql)
        """;

    /// <summary>Null when the arguments ask for help; throws ArgumentException on a bad argument.</summary>
    public static LocalServerOptions? Parse(IReadOnlyList<string> args)
    {
        var root = LocalPaths.DefaultStateRoot();
        var port = DefaultPort;
        var user = DefaultUserName;
        string? postgresRoot = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--root": root = Path.GetFullPath(Value()); break;
                case "--port":
                    var text = Value();
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
                        throw new ArgumentException($"--port must be a port number, got '{text}'.");
                    break;
                case "--user": user = Value(); break;
                case "--pg-root": postgresRoot = Path.GetFullPath(Value()); break;
                case "--help" or "-h": return null;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        return new LocalServerOptions(root, port, user, postgresRoot);
    }
}
