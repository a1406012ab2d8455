using System.Security.Cryptography;
using System.Text;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Auth;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Proxy;
using Npgsql;

namespace Lakebase.Local.Hosting;

/// <summary>
/// The control plane's side of the proxy's one tie to it (<see cref="IControlPlaneApi"/>): answers from the state
/// store as it is at each call, credentials checked by <see cref="CredentialTokens"/>, computes started and asked
/// through the <see cref="ComputeManager"/>.
/// </summary>
internal sealed class ProxyControlPlane(
    Catalog catalog, ComputeManager computes, CredentialTokens credentials, PermissionService permissions, ILogger<ProxyControlPlane> logger) : IControlPlaneApi
{
    public IReadOnlyCollection<string> EndpointHosts() =>
        Endpoints().SelectMany(e => Provisioning.AddressesOf(e.Status?.Hosts)).ToList();

    public EndpointRoute? EndpointAt(string host)
    {
        foreach (var endpoint in Endpoints())
        {
            if (endpoint.Status?.Hosts is not { } hosts) continue;
            if (hosts.Host == host) return new EndpointRoute(endpoint.Uid!, Pooled: false);
            if (hosts.ReadWritePooledHost == host || hosts.ReadOnlyPooledHost == host) return new EndpointRoute(endpoint.Uid!, Pooled: true);
        }
        return null;
    }

    public EndpointAccess Access(string endpointUid)
    {
        if (Find(endpointUid) is not { } endpoint) return EndpointAccess.NotFound;
        var name = ResourceName.Parse(endpoint.Name!);
        if (catalog.Store.Get<Project>(name.ProjectName) is not { DeleteTime: null }) return EndpointAccess.NotFound;
        if (catalog.Store.Get<Branch>(name.BranchName!) is not { Status.DeleteTime: null } branch) return EndpointAccess.NotFound;
        if (branch.Status.CurrentState == BranchState.Init) return EndpointAccess.NotReady;
        if (branch.Status.CurrentState == BranchState.Resetting) return EndpointAccess.Resetting;
        return endpoint.Status?.Disabled == true ? EndpointAccess.Disabled : EndpointAccess.Open;
    }

    /// <summary>A token for this user and endpoint, whose user may still use the project: a grant revoked after the
    /// token was issued ends its use at the next login, not when it expires.</summary>
    public CredentialAdmission? AdmitCredential(string endpointUid, string user, string password) =>
        credentials.Validate(password) is { } claims && claims.UserName == user && claims.EndpointUid == endpointUid
        && Find(endpointUid) is { } endpoint
        && permissions.Allows(claims.Holder, ResourceName.Parse(endpoint.Name!).ProjectId, PermissionLevel.CanUse)
            ? new CredentialAdmission(claims.ReadOnlyTables)
            : null;

    public bool AllowsNativeLogin(string endpointUid) =>
        Find(endpointUid) is { } endpoint && catalog.Store.Get<Project>(ResourceName.Parse(endpoint.Name!).ProjectName)?.Status?.EnablePgNativeLogin == true;

    public async Task<string?> RoleVerifierAsync(string endpointUid, string user, CancellationToken cancellationToken)
    {
        await WakeComputeAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await computes.OpenConnectionAsync(endpointUid, "postgres", cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1 AND rolcanlogin AND (rolvaliduntil IS NULL OR rolvaliduntil > now())", connection)
            {
                Parameters = { new() { Value = user } },
            };
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        catch (NpgsqlException ex)
        {
            throw Unavailable(endpointUid, "Could not read a role's password", ex);
        }
    }

    public Task<string> WakeComputeAsync(string endpointUid, CancellationToken cancellationToken) =>
        WakeAsync(endpointUid, async target =>
        {
            await computes.EnsureRunningAsync(target, cancellationToken).ConfigureAwait(false);
            return computes.SocketDirectory(endpointUid);
        });

    public Task<string> WakePoolerAsync(string endpointUid, TimeSpan clientIdleTimeout, CancellationToken cancellationToken) =>
        WakeAsync(endpointUid, target => computes.EnsurePoolerAsync(target, clientIdleTimeout, cancellationToken));

    /// <summary>Starts what the endpoint's sessions connect to, marks the compute active and returns the socket's
    /// directory; a failure is the client's to see.</summary>
    private async Task<string> WakeAsync(string endpointUid, Func<ComputeTarget, Task<string>> start)
    {
        var endpoint = Find(endpointUid) ?? throw new ComputeUnavailableException($"endpoint {endpointUid} not found");
        string socketDirectory;
        try
        {
            socketDirectory = await start(catalog.TargetOf(endpoint)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or NpgsqlException or IOException)
        {
            throw Unavailable(endpointUid, "Could not wake the compute", ex);
        }
        computes.MarkActive(endpointUid);
        return socketDirectory;
    }

    public async Task TerminateBackendAsync(string endpointUid, int backendPid)
    {
        try
        {
            await using var connection = await computes.OpenConnectionAsync(endpointUid, "postgres", CancellationToken.None).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection) { Parameters = { new() { Value = backendPid } } };
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            throw Unavailable(endpointUid, "Could not end a session", ex);
        }
    }

    public async Task<string> ReadOnlyRoleAsync(string endpointUid, string user, string database, IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        var endpoint = Find(endpointUid) ?? throw new ComputeUnavailableException($"endpoint {endpointUid} not found");
        // One role per identity and set of tables, named by their hash (PostgreSQL names are short; e-mails are not).
        var scope = string.Join('\n', tables.Order(StringComparer.Ordinal).Prepend(user));
        var role = "lakebase_read_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..24];
        // A UC table catalog.schema.table is schema.table in the database the session opens.
        var relations = tables.Select(table => table.Split('.')).Select(parts => (parts[1], parts[2])).ToList();
        // Roles and grants are made on the branch's read-write compute; a read-only endpoint has them once it replayed that far.
        var primary = catalog.ReadWriteEndpoint(ResourceName.Parse(endpoint.Name!).BranchName!)
            ?? throw new ComputeUnavailableException("the branch has no read-write endpoint to make the session's role on");
        try
        {
            await computes.EnsureRunningAsync(catalog.TargetOf(primary), cancellationToken).ConfigureAwait(false);
            string lsn;
            await using (var connection = await computes.OpenConnectionAsync(primary.Uid!, database, cancellationToken).ConfigureAwait(false))
            {
                await PostgresAdmin.EnsureReadOnlyRoleAsync(connection, role, relations, cancellationToken).ConfigureAwait(false);
                await using var position = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
                lsn = (string)(await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            if (primary.Uid != endpointUid) await WaitForReplayAsync(endpointUid, lsn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or NpgsqlException)
        {
            throw Unavailable(endpointUid, "Could not set up a read-only session", ex);
        }
        return role;
    }

    /// <summary>What the client is told when a compute fails it: PostgreSQL's own message, or what kind of failure it
    /// was; the details, which name the server's files (data directories, logs, sockets), go to the server's log.</summary>
    private ComputeUnavailableException Unavailable(string endpointUid, string failed, Exception ex)
    {
        logger.LogWarning("{Failed} for a client of {Endpoint}: {Reason}", failed, endpointUid, ex.Message);
        return new ComputeUnavailableException(ex switch
        {
            PostgresException postgres => postgres.MessageText,
            TimeoutException => "it did not answer in time",
            _ => "the Lakebase Local server's log says why",
        }, ex);
    }

    private async Task WaitForReplayAsync(string standbyUid, string lsn, CancellationToken cancellationToken)
    {
        await using var connection = await computes.OpenConnectionAsync(standbyUid, "postgres", cancellationToken).ConfigureAwait(false);
        await using var replayed = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", connection) { Parameters = { new() { Value = lsn } } };
        // A bound, not a measure: a standby streams continuously and catches up in moments unless it is stuck.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await replayed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the read-only endpoint has not replayed its session's role yet");
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<Endpoint> Endpoints() => catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null);

    private Endpoint? Find(string endpointUid) => Endpoints().FirstOrDefault(e => e.Uid == endpointUid);
}
