using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Auth;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Npgsql;

namespace Lakebase.Local.Proxy;

/// <summary>
/// One client connection through the proxy, as Neon's proxy handles it: SSLRequest and TLS, the startup packet,
/// routing to an endpoint (its loopback address, an SNI name or options=endpoint=&lt;id&gt;), a cleartext password
/// exchange whose password is a database credential, waking the compute when it sleeps, then the backend's own
/// startup over its private socket and a byte-for-byte splice. Every failure answers with the PostgreSQL error a
/// client expects and affects only this connection.
/// </summary>
internal sealed class ProxyConnection(
    Socket client,
    IPAddress localAddress,
    Catalog catalog,
    ComputeManager computes,
    CredentialTokens credentials,
    LocalCertificateAuthority authority,
    ProxySessions sessions,
    SessionLimits limits,
    ILogger logger)
{
    /// <summary>The address every endpoint shares where each cannot have its own; routing there needs the endpoint id.</summary>
    private const string SharedAddress = "127.0.0.1";
    private (int Pid, int Key)? _cancelKey;

    private sealed class RejectedException(string sqlState, string message) : Exception(message)
    {
        public string SqlState { get; } = sqlState;
    }

    /// <summary>The client side: the socket's stream, replaced by the TLS stream once TLS is up.</summary>
    private Stream _stream = null!;

    public async Task RunAsync(CancellationToken stopping)
    {
        _stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            Socket? backend;
            string endpointUid;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                handshake.CancelAfter(limits.HandshakeTimeout);
                try
                {
                    (backend, endpointUid) = await HandshakeAsync(handshake.Token).ConfigureAwait(false);
                }
                catch (RejectedException rejected)
                {
                    await TryWriteAsync(_stream, PgWire.Fatal(rejected.SqlState, rejected.Message)).ConfigureAwait(false);
                    return;
                }
            }
            if (backend is null) return;
            sessions.Opened(endpointUid);
            using var maximumDuration = new CancellationTokenSource(limits.MaxSessionDuration);
            await using var ending = maximumDuration.Token.Register(() => _ = TerminateBackendAsync(endpointUid));
            try
            {
                await Splice.RunAsync(client, _stream, backend, stopping).ConfigureAwait(false);
            }
            finally
            {
                sessions.Closed(endpointUid);
                if (_cancelKey is { } cancelKey) sessions.ForgetCancelKey(cancelKey.Pid, cancelKey.Key);
                backend.Dispose();
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            logger.LogDebug("Proxy connection ended: {Reason}", ex.Message);
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Returns the authenticated backend's socket; null for a cancel request.</summary>
    private async Task<(Socket? Backend, string EndpointUid)> HandshakeAsync(CancellationToken cancellationToken)
    {
        var stream = _stream;
        string? serverName = null;
        var (code, body) = await PgWire.ReadStartupPacketAsync(stream, cancellationToken).ConfigureAwait(false);
        if (code == PgWire.GssEncRequestCode)
        {
            await stream.WriteAsync("N"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            (code, body) = await PgWire.ReadStartupPacketAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        if (code == PgWire.SslRequestCode)
        {
            await stream.WriteAsync("S"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateSelectionCallback = (_, hostName) =>
                {
                    serverName = hostName;
                    return authority.CertificateFor(string.IsNullOrEmpty(hostName) ? localAddress.ToString() : hostName);
                },
            }, cancellationToken).ConfigureAwait(false);
            stream = _stream = tls;
            (code, body) = await PgWire.ReadStartupPacketAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        if (code == PgWire.CancelRequestCode)
        {
            await ForwardCancelAsync(body, cancellationToken).ConfigureAwait(false);
            return (null, "");
        }
        if (code != PgWire.ProtocolVersion3)
            throw new RejectedException("08P01", $"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0");
        if (stream is not SslStream) throw new RejectedException("28000", "Lakebase requires SSL: connect with sslmode=require");

        var parameters = PgWire.ParseParameters(body);
        if (!parameters.TryGetValue("user", out var user) || user.Length == 0) throw new RejectedException("28000", "no PostgreSQL user name specified in startup packet");
        var endpoint = Route(parameters, serverName);
        if (endpoint.Status!.Disabled == true) throw new RejectedException("08004", $"endpoint {endpoint.EndpointId} is disabled");

        await stream.WriteAsync(PgWire.CleartextPasswordRequest(), cancellationToken).ConfigureAwait(false);
        var (type, passwordBody) = await PgWire.ReadMessageAsync(stream, cancellationToken).ConfigureAwait(false);
        if (type != (byte)'p') throw new RejectedException("08P01", "expected a password message");
        var target = catalog.TargetOf(endpoint);
        if (!await AuthenticateAsync(user, PgWire.ReadPassword(passwordBody), endpoint, target, cancellationToken).ConfigureAwait(false))
            throw new RejectedException("28P01", $"password authentication failed for user \"{user}\"");

        // The compute may be asleep: wake it and hold the client until it accepts connections.
        await WakeAsync(target, cancellationToken).ConfigureAwait(false);
        computes.MarkActive(endpoint.Uid!);
        // PostgreSQL closes idle sessions itself and tells the client why (57P05); appended last, so it wins.
        var idleTimeout = $"-c idle_session_timeout={(long)limits.IdleSessionTimeout.TotalMilliseconds}";
        parameters["options"] = parameters.TryGetValue("options", out var clientOptions) ? $"{clientOptions} {idleTimeout}" : idleTimeout;
        var backend = await ConnectBackendAsync(target, parameters, stream, cancellationToken).ConfigureAwait(false);
        return (backend, endpoint.Uid!);
    }

    /// <summary>A database credential issued to this user for this endpoint; or, where the project enables native
    /// Postgres login, the role's own password. Tokens are checked without waking the compute; a native password is
    /// checked against the role's verifier in the compute, which holds it (and which the session needs anyway).</summary>
    private async Task<bool> AuthenticateAsync(string user, string password, Endpoint endpoint, ComputeTarget target, CancellationToken cancellationToken)
    {
        if (credentials.Validate(password) is { } claims) return claims.UserName == user && claims.EndpointUid == endpoint.Uid;
        var project = catalog.Store.Get<Project>(ResourceName.Parse(endpoint.Name!).ProjectName);
        if (project?.Status?.EnablePgNativeLogin != true) return false;
        await WakeAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await computes.OpenConnectionAsync(target.EndpointUid, "postgres", cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1 AND rolcanlogin AND (rolvaliduntil IS NULL OR rolvaliduntil > now())", connection)
            {
                Parameters = { new() { Value = user } },
            };
            return ScramVerifier.Matches(password, await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string);
        }
        catch (NpgsqlException ex)
        {
            throw new RejectedException("57P03", $"the endpoint's compute cannot check passwords now: {ex.Message}");
        }
    }

    /// <summary>Starts the compute if it sleeps; a compute that cannot start is the client's error to see.</summary>
    private async Task WakeAsync(ComputeTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await computes.EnsureRunningAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or NpgsqlException)
        {
            logger.LogWarning("Could not wake compute {Endpoint} for a client: {Reason}", target.EndpointUid, ex.Message);
            throw new RejectedException("57P03", $"the endpoint's compute could not start: {ex.Message}");
        }
    }

    /// <summary>The endpoint a connection is for: options=endpoint=&lt;uid&gt;, then an SNI name starting with the uid,
    /// then the loopback address the client connected to.</summary>
    private Endpoint Route(Dictionary<string, string> parameters, string? serverName)
    {
        var endpoints = catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null);
        string? requested = null;
        if (parameters.TryGetValue("options", out var options))
        {
            // "endpoint=<uid>", "-cendpoint=<uid>" or "-c endpoint=<uid>": taken out, the rest goes on to PostgreSQL.
            var kept = new List<string>();
            var tokens = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < tokens.Length; i++)
            {
                var option = tokens[i] == "-c" && i + 1 < tokens.Length ? $"-c {tokens[++i]}" : tokens[i];
                var setting = option.StartsWith("-c", StringComparison.Ordinal) ? option[2..].TrimStart() : option;
                if (setting.StartsWith("endpoint=", StringComparison.Ordinal)) requested = setting["endpoint=".Length..];
                else kept.Add(option);
            }
            if (kept.Count > 0) parameters["options"] = string.Join(' ', kept);
            else parameters.Remove("options");
        }
        requested ??= serverName?.Split('.')[0] is { } label && label.StartsWith("ep-", StringComparison.Ordinal) ? label : null;
        var endpoint = requested is not null
            ? endpoints.FirstOrDefault(e => e.Uid == requested)
            : endpoints.FirstOrDefault(e => e.Status?.Hosts?.Host == localAddress.ToString() && localAddress.ToString() != SharedAddress);
        if (endpoint is null)
            throw new RejectedException("3D000", requested is null
                ? "endpoint not specified: connect to the endpoint's host, or pass options=endpoint=<endpoint uid>"
                : $"endpoint {requested} not found");
        if (catalog.Store.Get<Branch>(endpoint.Parent!) is not { Status.DeleteTime: null })
            throw new RejectedException("3D000", $"endpoint {endpoint.Uid} not found");
        return endpoint;
    }

    /// <summary>Opens the compute's private socket, sends the client's startup parameters and relays the backend's
    /// answer up to ReadyForQuery, remembering its cancel key.</summary>
    private async Task<Socket> ConnectBackendAsync(ComputeTarget target, Dictionary<string, string> parameters, Stream clientStream, CancellationToken cancellationToken)
    {
        var socketDirectory = computes.SocketDirectory(target.EndpointUid);
        var socket = await ConnectComputeAsync(socketDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var backend = new NetworkStream(socket, ownsSocket: false);
            await backend.WriteAsync(PgWire.StartupMessage(parameters), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var (type, body) = await PgWire.ReadMessageAsync(backend, cancellationToken).ConfigureAwait(false);
                if (type == (byte)'K' && body.Length >= 8)
                {
                    _cancelKey = (BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4)));
                    sessions.RegisterCancelKey(_cancelKey.Value.Pid, _cancelKey.Value.Key, socketDirectory);
                }
                await clientStream.WriteAsync(PgWire.Frame(type, body), cancellationToken).ConfigureAwait(false);
                if (type == (byte)'Z') return socket;
                if (type == (byte)'E') throw new IOException("the backend refused the session");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Ends a session that reached the maximum duration. PostgreSQL has no such limit, so its backend is
    /// terminated: the client gets FATAL 57P01 between messages and the splice ends when the backend closes.</summary>
    private async Task TerminateBackendAsync(string endpointUid)
    {
        if (_cancelKey is not { } key) return;
        try
        {
            await using var connection = await computes.OpenConnectionAsync(endpointUid, "postgres", CancellationToken.None).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection) { Parameters = { new() { Value = key.Pid } } };
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            logger.LogInformation("Closed a session on {Endpoint} at the maximum session duration ({Duration})", endpointUid, limits.MaxSessionDuration);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            logger.LogWarning("Could not close a session on {Endpoint} at the maximum session duration: {Reason}", endpointUid, ex.Message);
        }
    }

    private async Task ForwardCancelAsync(byte[] body, CancellationToken cancellationToken)
    {
        if (body.Length < 8) return;
        var pid = BinaryPrimitives.ReadInt32BigEndian(body);
        var key = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
        if (sessions.CancelTarget(pid, key) is not { } socketDirectory) return;
        using var socket = await ConnectComputeAsync(socketDirectory, cancellationToken).ConfigureAwait(false);
        var packet = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(packet, 16);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), PgWire.CancelRequestCode);
        body.AsSpan(0, 8).CopyTo(packet.AsSpan(8));
        await socket.SendAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The compute's private Unix socket.</summary>
    private static async Task<Socket> ConnectComputeAsync(string socketDirectory, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(socketDirectory, ".s.PGSQL.5432")), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task TryWriteAsync(Stream stream, byte[] message)
    {
        try { await stream.WriteAsync(message).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { }
    }
}
