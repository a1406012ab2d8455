using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Lakebase.Local.Proxy.Passthrough;

/// <summary>
/// The byte-for-byte relay between an authenticated client and its backend, as Neon's proxy does after the handshake.
/// Short request/response traffic (pgbench -S, ORMs) makes the relay's per-message latency the cost users see, so each
/// direction is one loop over a pooled buffer with no per-message allocation, and the proxy's sockets complete their
/// I/O on the runtime's event thread instead of hopping to a thread-pool worker for every message.
/// </summary>
internal static class Splice
{
    /// <summary>Large enough for a full TLS record (16 KiB of payload) per read.</summary>
    private const int BufferSize = 16 * 1024;

    /// <summary>Relays until either side closes or <paramref name="stopping"/> fires, then closes both.
    /// <paramref name="client"/> is the client's (TLS) stream over <paramref name="clientSocket"/>.</summary>
    public static async Task RunAsync(Socket clientSocket, Stream client, Socket backend, CancellationToken stopping)
    {
        // Only from here on: the handshake (catalog lookups, waking a compute) must not run on the event thread.
        PreferInlineCompletions(clientSocket);
        PreferInlineCompletions(backend);
        // The loops take no token: a cancellable one costs a registration on every read that waits, two per
        // round trip. Shutting both sockets down ends them instead, when one side closes or when the proxy stops.
        await using (stopping.UnsafeRegister(_ => ShutDown(clientSocket, backend), null))
        {
            var up = ClientToBackendAsync(client, backend);
            var down = BackendToClientAsync(backend, client);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            ShutDown(clientSocket, backend);
            try { await Task.WhenAll(up, down).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException) { }
        }
        backend.Dispose();
        await client.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A shutdown, unlike closing a socket with a read pending (which resets it), ends the reads waiting on
    /// both sockets as end of stream and still lets the client read what the backend sent last, such as the FATAL
    /// that says why its session ended.</summary>
    private static void ShutDown(Socket clientSocket, Socket backend)
    {
        foreach (var socket in (ReadOnlySpan<Socket>)[backend, clientSocket])
        {
            try { socket.Shutdown(SocketShutdown.Both); }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// Lets the socket's completions run inline on the event thread: on a small machine the hop to a pool worker per
    /// message cost more than the relay itself (about 3x the CPU per pgbench -S transaction). The runtime offers this
    /// process-wide only (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS), which would also inline the control plane's
    /// database calls; the per-socket switch is internal, so where a runtime lacks it the socket keeps the default.
    /// </summary>
    private static void PreferInlineCompletions(Socket socket)
    {
        try { SetPreferInlineCompletions(socket, true); }
        catch (MissingMethodException) { }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);

    private static async Task ClientToBackendAsync(Stream client, Socket backend)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await client.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                await backend.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task BackendToClientAsync(Socket backend, Stream client)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await backend.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
                await client.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
