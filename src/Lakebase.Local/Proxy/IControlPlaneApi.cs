namespace Lakebase.Local.Proxy;

/// <summary>Whether an endpoint can take a session now.</summary>
internal enum EndpointAccess
{
    /// <summary>It, its branch and its project exist, none is deleted, and it is enabled.</summary>
    Open,
    /// <summary>No such endpoint, or it, its branch or its project is (soft-)deleted.</summary>
    NotFound,
    Disabled,
    /// <summary>Its branch is still being made: its data is not complete (a restore may still replay, a branch of a
    /// protected branch still has its source's passwords).</summary>
    NotReady,
    /// <summary>Its branch is being reset from its parent: its computes restart on new data (whose passwords a child of
    /// a protected branch has not been given yet).</summary>
    Resetting,
}

/// <summary>Where a connection goes: an endpoint, directly to its compute or through its PgBouncer (the pooled host).</summary>
internal sealed record EndpointRoute(string EndpointUid, bool Pooled);

/// <summary>A credential's session: unrestricted, or able only to read <see cref="ReadOnlyTables"/> (catalog.schema.table).</summary>
internal sealed record CredentialAdmission(IReadOnlyList<string> ReadOnlyTables)
{
    public static CredentialAdmission Unrestricted { get; } = new([]);
}

/// <summary>The endpoint's compute could not be started or asked; the client sees why.</summary>
internal sealed class ComputeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The control plane as the proxy sees it, as Neon's proxy has its control-plane API: where endpoints listen, whether
/// one is open, whether a credential admits a user, and a running compute to relay to. The proxy's only tie to the
/// rest of Lakebase Local: it reads no state, parses no token and starts no compute itself. Each call reads the
/// current state, so a project deleted or an endpoint disabled after a token was issued refuses the next login.
/// </summary>
internal interface IControlPlaneApi
{
    /// <summary>Every endpoint's own loopback addresses (its host and its pooled host), for the listeners opened at start.</summary>
    IReadOnlyCollection<string> EndpointHosts();

    /// <summary>The endpoint whose own address this is, and whether it is its pooled host; null for a shared or unknown one.</summary>
    EndpointRoute? EndpointAt(string host);

    EndpointAccess Access(string endpointUid);

    /// <summary>Whether <paramref name="password"/> is a database credential that lets <paramref name="user"/> into
    /// this endpoint now: genuine, unexpired, issued to that identity for that endpoint, and the identity may still use
    /// it; null if not, otherwise what the session may do.</summary>
    CredentialAdmission? AdmitCredential(string endpointUid, string user, string password);

    /// <summary>The role a session scoped to reading <paramref name="tables"/> (schema.table names in
    /// <paramref name="database"/>) logs in as: made on first use, with SELECT on those tables, nothing else, and
    /// read-only transactions.</summary>
    Task<string> ReadOnlyRoleAsync(string endpointUid, string user, string database, IReadOnlyList<string> tables, CancellationToken cancellationToken);

    /// <summary>Whether the endpoint's project lets roles log in with their own Postgres password.</summary>
    bool AllowsNativeLogin(string endpointUid);

    /// <summary>The role's SCRAM verifier as the compute stores it (waking the compute); null for no such login role.</summary>
    Task<string?> RoleVerifierAsync(string endpointUid, string user, CancellationToken cancellationToken);

    /// <summary>Starts the compute if it sleeps, marks it active, and returns the directory of its private socket.</summary>
    Task<string> WakeComputeAsync(string endpointUid, CancellationToken cancellationToken);

    /// <summary>Starts the compute and its PgBouncer if they sleep, marks the compute active, and returns the directory
    /// of the pooler's private socket. PgBouncer closes clients idle for <paramref name="clientIdleTimeout"/>.</summary>
    Task<string> WakePoolerAsync(string endpointUid, TimeSpan clientIdleTimeout, CancellationToken cancellationToken);

    /// <summary>Ends one backend of the compute, as pg_terminate_backend does (the client is told 57P01).</summary>
    Task TerminateBackendAsync(string endpointUid, int backendPid);
}
