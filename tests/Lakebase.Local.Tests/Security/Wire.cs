using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Lakebase.Local.Tests.Security;

/// <summary>The PostgreSQL startup phase spoken by hand, for tests that need what Npgsql will not do: a chosen source
/// address, a stalled or malformed handshake, any TLS server name.</summary>
internal static class Wire
{
    public const int SslRequestCode = 80877103;
    public const int GssEncRequestCode = 80877104;
    public const int CancelRequestCode = 80877102;
    public const int ProtocolVersion3 = 196608;

    /// <summary>A connection from <paramref name="source"/> (any loopback address on Linux), or the OS's choice.</summary>
    public static async Task<Socket> ConnectAsync(IPAddress host, int port, IPAddress? source = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null) socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(host, port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An 8-byte request packet: SSLRequest, GSSENCRequest.</summary>
    public static byte[] Request(int code) => Packet(code, []);

    public static byte[] Packet(int code, ReadOnlySpan<byte> body)
    {
        var packet = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), code);
        body.CopyTo(packet.AsSpan(8));
        return packet;
    }

    public static byte[] Startup(params (string Key, string Value)[] parameters)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in parameters) text.Append(key).Append('\0').Append(value).Append('\0');
        return Packet(ProtocolVersion3, Encoding.UTF8.GetBytes(text.Append('\0').ToString()));
    }

    public static byte[] Password(string password)
    {
        var body = Encoding.UTF8.GetBytes(password + "\0");
        var message = new byte[5 + body.Length];
        message[0] = (byte)'p';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), body.Length + 4);
        body.CopyTo(message, 5);
        return message;
    }

    /// <summary>SSLRequest, then TLS with <paramref name="serverName"/> (none when null); any certificate is taken,
    /// and the one the server chose is kept in <see cref="SslStream.RemoteCertificate"/>.</summary>
    public static async Task<SslStream> StartTlsAsync(Stream stream, string? serverName, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Request(SslRequestCode), cancellationToken);
        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer, cancellationToken);
        if (answer[0] != (byte)'S') throw new IOException($"the server answered SSLRequest with '{(char)answer[0]}'");
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, cancellationToken);
        return tls;
    }

    /// <summary>The next message, or null where the server closed the connection.</summary>
    public static async Task<(byte Type, byte[] Body)?> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        try
        {
            await stream.ReadExactlyAsync(header, cancellationToken);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return (header[0], body);
    }

    /// <summary>The SQLSTATE of an ErrorResponse's body.</summary>
    public static string SqlState(byte[] errorBody) =>
        Encoding.UTF8.GetString(errorBody).Split('\0').First(field => field.StartsWith('C'))[1..];

    /// <summary>Reads until the server closes; true when it did, false when it still held the connection at the deadline.</summary>
    public static async Task<bool> ClosedByServerAsync(Stream stream, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0) { }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
