using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lakebase.Local.Proxy.Handshake;

namespace Lakebase.Local.Proxy;

/// <summary>Where the proxy listens: each endpoint's own loopback address on port 5432, and one shared address
/// (127.0.0.1 on <see cref="RouterPort"/>) where clients name the endpoint with options=endpoint=&lt;uid&gt; or SNI.</summary>
internal sealed record ProxyOptions(int RouterPort, SessionLimits Sessions);

/// <summary>
/// The data plane's front door. Listeners are opened for endpoints as they appear; each accepted connection runs
/// on its own, so a slow or hostile client never holds up another, and connections still in their handshake are
/// capped per source address and in total, so stalled ones cannot crowd out the rest.
/// </summary>
internal sealed class ProxyServer(ProxyOptions options, IControlPlaneApi controlPlane, LocalCertificateAuthority authority,
    ProxySessions sessions, ILogger<ProxyServer> logger) : IHostedService, IDisposable
{
    public const int PostgresPort = 5432;
    private readonly ConcurrentDictionary<string, TcpListener> _listeners = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HandshakeLimiter _handshakes = new(options.Sessions.MaxHandshakesPerSource, options.Sessions.MaxHandshakes);
    private readonly ProxyContext _context = new(controlPlane, authority, sessions, options.Sessions, logger);

    /// <summary>The shared router port actually bound (the option may ask for 0, any free port).</summary>
    public int RouterPort { get; private set; }

    /// <summary>Starts listening on an endpoint's own address (idempotent); false where the OS does not allow it.</summary>
    public bool EnsureListening(string host)
    {
        if (host == "127.0.0.1" || _listeners.ContainsKey(host)) return true;
        try
        {
            Listen(host, PostgresPort);
            return true;
        }
        catch (SocketException ex)
        {
            logger.LogWarning("Cannot listen on {Host}:{Port} ({Reason}); clients can still reach the endpoint through 127.0.0.1:{Router} with options=endpoint=<uid>",
                host, PostgresPort, ex.SocketErrorCode, RouterPort);
            return false;
        }
    }

    /// <summary>Binds every listener before the host reports itself started, so server.json never names a port that
    /// is not bound yet.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        TcpListener router;
        try
        {
            router = Listen("127.0.0.1", options.RouterPort);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && options.RouterPort != 0)
        {
            logger.LogWarning("127.0.0.1:{Port} is taken (another PostgreSQL?); the proxy's shared port is a free one instead", options.RouterPort);
            router = Listen("127.0.0.1", 0);
        }
        RouterPort = ((IPEndPoint)router.LocalEndpoint).Port;
        foreach (var host in controlPlane.EndpointHosts()) EnsureListening(host);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, and ends the sessions being relayed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners.Values) listener.Stop();
    }

    public void Dispose() => _stopping.Dispose();

    private TcpListener Listen(string host, int port)
    {
        var listener = new TcpListener(IPAddress.Parse(host), port);
        listener.Start(512);
        var key = port == PostgresPort ? host : $"{host}:{port}";
        _listeners[key] = listener;
        _ = AcceptLoopAsync(listener);
        return listener;
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        var local = ((IPEndPoint)listener.LocalEndpoint).Address;
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A client that reset before it was accepted, or no descriptor left: the listener goes on.
                logger.LogDebug("Accept failed: {Reason}", ex.SocketErrorCode);
                if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                    await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
                continue;
            }
            if (_handshakes.TryEnter(((IPEndPoint)client.RemoteEndPoint!).Address) is not { } slot)
            {
                Refuse(client);
                continue;
            }
            client.NoDelay = true;
            var connection = new ProxyConnection(client, local, slot, _context);
            _ = Task.Run(() => connection.RunAsync(_stopping.Token));
        }
    }

    /// <summary>Over the handshake caps: PostgreSQL's "too many clients" error, written without waiting (a fresh
    /// socket's buffer takes it), and the connection closed.</summary>
    private static void Refuse(Socket client)
    {
        try { client.Send(PgWire.Fatal("53300", "too many connections are authenticating, from this address or in all; try again later"), SocketFlags.None); }
        catch (SocketException) { }
        client.Dispose();
    }
}
