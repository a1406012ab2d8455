using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Lakebase.Local.Proxy.Authentication;
using Lakebase.Local.Proxy.Handshake;
using Lakebase.Local.Proxy.Passthrough;
using Lakebase.Local.Proxy.Routing;

namespace Lakebase.Local.Proxy;

/// <summary>What every connection shares: the control plane, the CA, live sessions, limits and the log.</summary>
internal sealed record ProxyContext(IControlPlaneApi ControlPlane, LocalCertificateAuthority Authority, ProxySessions Sessions, SessionLimits Limits, ILogger Logger);

/// <summary>
/// One client connection through the proxy, in Neon's proxy's phases: handshake (TLS, startup packet), routing to an
/// endpoint, authentication, the wake of its compute, then passthrough to the backend. The phases before
/// passthrough run within the handshake timeout and hold a handshake slot. Every failure answers with the PostgreSQL
/// error a client expects and affects only this connection.
/// </summary>
internal sealed class ProxyConnection(Socket client, IPAddress localAddress, IDisposable handshakeSlot, ProxyContext context)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        var handshake = new ClientHandshake(new NetworkStream(client, ownsSocket: true), localAddress, context.ControlPlane, context.Authority);
        try
        {
            var backend = new BackendSession(context.ControlPlane, context.Sessions, context.Limits, context.Logger);
            (Socket Socket, EndpointRoute Route)? session;
            using (handshakeSlot)
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                timeout.CancelAfter(context.Limits.HandshakeTimeout);
                try
                {
                    session = await EstablishAsync(handshake, backend, timeout.Token).ConfigureAwait(false);
                }
                catch (ClientRejectedException rejected)
                {
                    await TryWriteAsync(handshake.Stream, PgWire.Fatal(rejected.SqlState, rejected.Message)).ConfigureAwait(false);
                    return;
                }
            }
            if (session is { } established)
                await backend.RelayAsync(client, handshake.Stream, established.Socket, established.Route, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            context.Logger.LogDebug("Proxy connection ended: {Reason}", ex.Message);
        }
        catch (Exception ex)
        {
            // A hostile or broken client must never take more than its own connection down.
            context.Logger.LogError(ex, "Proxy connection failed unexpectedly");
        }
        finally
        {
            await handshake.Stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The phases up to an authenticated backend; null for a cancel request, which ends the connection.</summary>
    private async Task<(Socket, EndpointRoute)?> EstablishAsync(ClientHandshake handshake, BackendSession backend, CancellationToken cancellationToken)
    {
        var startup = await handshake.RunAsync(cancellationToken).ConfigureAwait(false);
        if (startup.CancelKey is { } cancelKey)
        {
            await BackendSession.ForwardCancelAsync(context.Sessions, cancelKey.Pid, cancelKey.Key, cancellationToken).ConfigureAwait(false);
            return null;
        }
        var parameters = startup.Parameters;
        if (!parameters.TryGetValue("user", out var user) || user.Length == 0)
            throw new ClientRejectedException("28000", "no PostgreSQL user name specified in startup packet");

        var router = new EndpointRouter(context.ControlPlane, localAddress);
        var route = router.Route(parameters, startup.ServerName);
        var admission = await new ClientAuthentication(context.ControlPlane, router).AuthenticateAsync(handshake.Stream, route.EndpointUid, user, cancellationToken).ConfigureAwait(false);
        context.Sessions.LoginStarted(route.EndpointUid);
        try
        {
            var socketDirectory = await router.WakeAsync(route, context.Limits.IdleSessionTimeout, cancellationToken).ConfigureAwait(false);
            if (admission.ReadOnlyTables.Count > 0)
                parameters["user"] = await ScopedRoleAsync(route.EndpointUid, user, parameters, admission.ReadOnlyTables, cancellationToken).ConfigureAwait(false);

            // PostgreSQL closes idle sessions itself and tells the client why (57P05); appended last, so it wins.
            // PgBouncer closes idle clients itself, and takes the startup parameters as a client sends them (it refuses options).
            if (!route.Pooled)
            {
                var idleTimeout = $"-c idle_session_timeout={(long)context.Limits.IdleSessionTimeout.TotalMilliseconds}";
                parameters["options"] = parameters.TryGetValue("options", out var clientOptions) ? $"{clientOptions} {idleTimeout}" : idleTimeout;
            }
            return (await backend.ConnectAsync(socketDirectory, parameters, handshake.Stream, cancellationToken).ConfigureAwait(false), route);
        }
        finally
        {
            context.Sessions.LoginEnded(route.EndpointUid);
        }
    }

    /// <summary>A credential scoped to reading some tables logs the session in as a role that can read only those.</summary>
    private async Task<string> ScopedRoleAsync(string endpointUid, string user, Dictionary<string, string> parameters, IReadOnlyList<string> tables,
        CancellationToken cancellationToken)
    {
        try
        {
            return await context.ControlPlane.ReadOnlyRoleAsync(endpointUid, user, parameters.GetValueOrDefault("database", user), tables, cancellationToken).ConfigureAwait(false);
        }
        catch (ComputeUnavailableException ex)
        {
            throw new ClientRejectedException("57P03", $"the session's read-only scope cannot be set up now: {ex.Message}");
        }
    }

    private static async Task TryWriteAsync(Stream stream, byte[] message)
    {
        try { await stream.WriteAsync(message).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException) { }
    }
}
