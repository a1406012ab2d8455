using Lakebase.Client;
using Lakebase.Client.Sql;

namespace Lakebase.PowerShell;

/// <summary>A connection to one workspace or to Lakebase Local; pass one with -Context to use several side by side.</summary>
public sealed class LakebaseContext
{
    internal LakebaseContext(LakebaseClient client, bool isLocal, string? stateRoot)
    {
        Client = client;
        IsLocal = isLocal;
        StateRoot = stateRoot;
    }

    public string Host => Client.Host;
    public string UserName => Client.UserName;
    public string AuthType => Client.AuthType;
    public bool IsLocal { get; }
    public string? Profile => Client.Config.Profile;
    /// <summary>Lakebase Local's state root, for a local context.</summary>
    public string? StateRoot { get; }

    internal LakebaseClient Client { get; }

    /// <summary>Pooled database connections for this identity, made on first use (by whichever runspace comes first).</summary>
    internal DatabaseSessions Sessions => LazyInitializer.EnsureInitialized(ref _sessions, () => new DatabaseSessions(Client));
    private DatabaseSessions? _sessions;

    /// <summary>Closes the pooled database connections and the API connection.</summary>
    internal async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _sessions, null) is { } sessions) await sessions.DisposeAsync().ConfigureAwait(false);
        Client.Dispose();
    }

    public override string ToString() => $"{UserName} @ {Host}";
}

/// <summary>The session's default context, set by Connect-Lakebase and cleared by Disconnect-Lakebase.</summary>
internal static class ContextStore
{
    private static LakebaseContext? s_current;

    public static LakebaseContext? Current
    {
        get => Volatile.Read(ref s_current);
        set => Volatile.Write(ref s_current, value);
    }
}
