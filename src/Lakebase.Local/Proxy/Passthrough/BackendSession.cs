using System.Buffers.Binary;
using System.Net.Sockets;

namespace Lakebase.Local.Proxy.Passthrough;

/// <summary>
/// The passthrough phase: the backend's own startup over the compute's private socket (its greeting relayed to the
/// client, its cancel key remembered), then the byte-for-byte splice until either side closes, a session that
/// reaches the maximum duration ended by its backend; and cancel requests forwarded to the backend they name.
/// </summary>
internal sealed class BackendSession(IControlPlaneApi controlPlane, ProxySessions sessions, SessionLimits limits, ILogger logger)
{
    private (int Pid, int Key)? _cancelKey;

    /// <summary>Opens the compute's private socket, sends the client's startup parameters and relays the backend's
    /// answer up to ReadyForQuery.</summary>
    public async Task<Socket> ConnectAsync(string socketDirectory, Dictionary<string, string> parameters, Stream client, CancellationToken cancellationToken)
    {
        var socket = await ConnectComputeAsync(socketDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var backend = new NetworkStream(socket, ownsSocket: false);
            await backend.WriteAsync(PgWire.StartupMessage(parameters), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var (type, body) = await PgWire.ReadMessageAsync(backend, PgWire.MaxMessageLength, cancellationToken).ConfigureAwait(false);
                if (type == (byte)'K' && body.Length >= 8)
                {
                    _cancelKey = (BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4)));
                    sessions.RegisterCancelKey(_cancelKey.Value.Pid, _cancelKey.Value.Key, socketDirectory);
                }
                await client.WriteAsync(PgWire.Frame(type, body), cancellationToken).ConfigureAwait(false);
                if (type == (byte)'Z') return socket;
                if (type == (byte)'E') throw new IOException("the backend refused the session");
            }
        }
        catch
        {
            socket.Dispose();
            ForgetCancelKey();
            throw;
        }
    }

    /// <summary>Relays until either side closes or the proxy stops; disposes the backend socket. A pooled session has
    /// no backend of its own to terminate at the maximum duration: the proxy closes it.</summary>
    public async Task RelayAsync(Socket clientSocket, Stream client, Socket backend, EndpointRoute route, CancellationToken stopping)
    {
        var endpointUid = route.EndpointUid;
        sessions.Opened(endpointUid);
        using var maximumDuration = new CancellationTokenSource(limits.MaxSessionDuration);
        using var relay = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        await using var ending = maximumDuration.Token.Register(() =>
        {
            if (route.Pooled) relay.Cancel();
            else _ = TerminateAsync(endpointUid);
        });
        try
        {
            await Splice.RunAsync(clientSocket, client, backend, relay.Token).ConfigureAwait(false);
        }
        finally
        {
            sessions.Closed(endpointUid);
            ForgetCancelKey();
            backend.Dispose();
        }
    }

    /// <summary>Forwards a CancelRequest to the backend it names; an unknown key is ignored, as PostgreSQL does.</summary>
    public static async Task ForwardCancelAsync(ProxySessions sessions, int pid, int key, CancellationToken cancellationToken)
    {
        if (sessions.CancelTarget(pid, key) is not { } socketDirectory) return;
        using var socket = await ConnectComputeAsync(socketDirectory, cancellationToken).ConfigureAwait(false);
        var packet = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(packet, 16);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), PgWire.CancelRequestCode);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), pid);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), key);
        await socket.SendAsync(packet, cancellationToken).ConfigureAwait(false);
    }

    private void ForgetCancelKey()
    {
        if (_cancelKey is { } cancelKey) sessions.ForgetCancelKey(cancelKey.Pid, cancelKey.Key);
    }

    /// <summary>Ends a session that reached the maximum duration. PostgreSQL has no such limit, so its backend is
    /// terminated: the client gets FATAL 57P01 between messages and the splice ends when the backend closes.</summary>
    private async Task TerminateAsync(string endpointUid)
    {
        if (_cancelKey is not { } key) return;
        try
        {
            await controlPlane.TerminateBackendAsync(endpointUid, key.Pid).ConfigureAwait(false);
            logger.LogInformation("Closed a session on {Endpoint} at the maximum session duration ({Duration})", endpointUid, limits.MaxSessionDuration);
        }
        catch (ComputeUnavailableException ex)
        {
            logger.LogWarning("Could not close a session on {Endpoint} at the maximum session duration: {Reason}", endpointUid, ex.Message);
        }
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
}
