using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lakebase.Local.Tests.Security;

/// <summary>Where a fuzz case connects (an endpoint's own address, or the shared port) and the passwords it may send:
/// the one that works, and others that must not.</summary>
internal sealed record FuzzTargets(IPEndPoint[] Addresses, string EndpointUid, string User, string ValidToken, string[] BadPasswords);

/// <summary>
/// Hostile clients of the proxy's startup and authentication phases, one per case, reproducible from the seed and the
/// case number: random and mutated packets, hostile lengths (0, 4, 2^31-1, ...), SSLRequest followed by garbage,
/// cleartext where TLS belongs, wrong, expired and other endpoints' credentials, random server names and options.
/// Each case ends by closing its side; a case the server does not close within a generous deadline counts as hung.
/// </summary>
internal sealed class ProxyFuzzer(FuzzTargets targets, int seed)
{
    private static readonly int[] HostileLengths = [0, 1, 4, 7, 8, 9, 10_000, 10_001, int.MaxValue, -1, int.MinValue, 65_536];
    private static readonly int[] Codes = [Wire.SslRequestCode, Wire.GssEncRequestCode, Wire.CancelRequestCode, Wire.ProtocolVersion3, 196609, 131072, 0, -1];
    private static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Runs case <paramref name="index"/>; false when the server held the connection past the deadline.</summary>
    public async Task<bool> RunAsync(int index)
    {
        var random = new Random(HashCode.Combine(seed, index));
        var target = targets.Addresses[random.Next(targets.Addresses.Length)];
        using var deadline = new CancellationTokenSource(CaseDeadline);
        Socket socket;
        try
        {
            socket = await Wire.ConnectAsync(target.Address, target.Port, null, deadline.Token);
        }
        catch (SocketException)
        {
            return true;
        }
        using (socket)
        {
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            try
            {
                stream = await SendAsync(random, stream, deadline.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
            {
                // The server closed first, or refused the TLS it was sent: what a hostile client should get.
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            return await Wire.ClosedByServerAsync(stream, CaseDeadline);
        }
    }

    private async Task<Stream> SendAsync(Random random, Stream stream, CancellationToken cancellationToken)
    {
        switch (random.Next(12))
        {
            case 0:
                await stream.WriteAsync(Bytes(random, random.Next(0, 128)), cancellationToken);
                return stream;
            case 1:
                await stream.WriteAsync(Header(random.GetItems(HostileLengths, 1)[0], random.GetItems(Codes, 1)[0]).Concat(Bytes(random, random.Next(0, 64))).ToArray(), cancellationToken);
                return stream;
            case 2:
                // Cleartext sent after SSLRequest in the same write, before any TLS.
                await stream.WriteAsync(Wire.Request(Wire.SslRequestCode).Concat(random.Next(2) == 0 ? Bytes(random, random.Next(1, 256)) : Startup(random)).ToArray(), cancellationToken);
                return stream;
            case 3:
                await stream.WriteAsync(Startup(random), cancellationToken);
                await stream.WriteAsync(Wire.Password(targets.ValidToken), cancellationToken);
                return stream;
            case 4:
            {
                var tls = await Wire.StartTlsAsync(stream, ServerName(random), cancellationToken);
                await tls.WriteAsync(Mutate(random, Startup(random)), cancellationToken);
                return tls;
            }
            case 5 or 6:
            {
                var tls = await Wire.StartTlsAsync(stream, ServerName(random), cancellationToken);
                await tls.WriteAsync(Startup(random), cancellationToken);
                if (await Wire.ReadMessageAsync(tls, cancellationToken) is not { Type: (byte)'R' }) return tls;
                await tls.WriteAsync(random.Next(3) == 0 ? Mutate(random, Wire.Password(Password(random))) : Wire.Password(Password(random)), cancellationToken);
                return tls;
            }
            case 7:
                await stream.WriteAsync(Wire.Request(Wire.GssEncRequestCode), cancellationToken);
                await stream.WriteAsync(random.Next(2) == 0 ? Bytes(random, random.Next(0, 64)) : Wire.Request(Wire.GssEncRequestCode), cancellationToken);
                return stream;
            case 8:
                await stream.WriteAsync(Wire.Packet(Wire.CancelRequestCode, Bytes(random, random.GetItems(new[] { 0, 4, 8, 8, 12 }, 1)[0])), cancellationToken);
                return stream;
            case 9:
                // SSLRequest, then a TLS record header and garbage instead of a ClientHello.
                await stream.WriteAsync(Wire.Request(Wire.SslRequestCode), cancellationToken);
                var answer = new byte[1];
                await stream.ReadExactlyAsync(answer, cancellationToken);
                await stream.WriteAsync(new byte[] { 0x16, 0x03, (byte)random.Next(0, 4) }.Concat(Bytes(random, random.Next(0, 512))).ToArray(), cancellationToken);
                return stream;
            default:
            {
                var tls = await Wire.StartTlsAsync(stream, ServerName(random), cancellationToken);
                await tls.WriteAsync(random.Next(2) == 0 ? Bytes(random, random.Next(0, 256)) : Header(random.GetItems(HostileLengths, 1)[0], Wire.ProtocolVersion3), cancellationToken);
                return tls;
            }
        }
    }

    private string Password(Random random) => random.Next(12) switch
    {
        0 => targets.ValidToken,
        1 => "",
        2 => new string('x', random.Next(1, 70_000)),
        3 => targets.ValidToken + "\0trailing",
        4 => Encoding.UTF8.GetString(Bytes(random, random.Next(1, 200))),
        5 => Mutate(random, targets.ValidToken),
        _ => random.GetItems(targets.BadPasswords, 1)[0],
    };

    private byte[] Startup(Random random)
    {
        var parameters = new List<(string, string)>();
        if (random.Next(8) != 0) parameters.Add(("user", random.Next(6) == 0 ? Encoding.UTF8.GetString(Bytes(random, random.Next(0, 40))) : targets.User));
        parameters.Add(("database", "databricks_postgres"));
        var options = random.Next(8) switch
        {
            0 => $"endpoint={targets.EndpointUid}",
            1 => $"-c endpoint={targets.EndpointUid} endpoint=ep-other000000",
            2 => $"endpoint={Encoding.UTF8.GetString(Bytes(random, random.Next(0, 40)))}",
            3 => "-c endpoint=",
            4 => new string('-', random.Next(0, 5000)),
            _ => null,
        };
        if (options is not null) parameters.Add(("options", options));
        return Wire.Startup([.. parameters]);
    }

    private string? ServerName(Random random) => random.Next(6) switch
    {
        0 => $"{targets.EndpointUid}.lakebase.local",
        1 => $"{targets.EndpointUid}.{Guid.NewGuid():N}.example",
        2 => $"ep-{Guid.NewGuid():N}.lakebase.local",
        3 => $"{Guid.NewGuid():N}.example",
        4 => "localhost",
        _ => null,
    };

    private static byte[] Header(int length, int code)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), code);
        return header;
    }

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A few bit flips, a truncation or a duplicated slice.</summary>
    private static byte[] Mutate(Random random, byte[] packet)
    {
        var mutated = packet.ToArray();
        switch (random.Next(3))
        {
            case 0:
                for (var i = random.Next(1, 4); i > 0 && mutated.Length > 0; i--) mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
                return mutated;
            case 1:
                return mutated[..random.Next(mutated.Length + 1)];
            default:
                var start = random.Next(mutated.Length);
                return [.. mutated, .. mutated[start..]];
        }
    }

    private static string Mutate(Random random, string text) => Encoding.Latin1.GetString(Mutate(random, Encoding.Latin1.GetBytes(text)));
}
