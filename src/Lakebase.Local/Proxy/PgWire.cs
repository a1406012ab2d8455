using System.Buffers.Binary;
using System.Text;

namespace Lakebase.Local.Proxy;

/// <summary>The parts of the PostgreSQL protocol 3.0 the proxy speaks itself: the startup packet, authentication,
/// errors, and message framing. Lengths are checked so hostile input cannot make it allocate without bound.</summary>
internal static class PgWire
{
    public const int ProtocolVersion3 = 196608;
    public const int SslRequestCode = 80877103;
    public const int GssEncRequestCode = 80877104;
    public const int CancelRequestCode = 80877102;
    private const int MaxStartupLength = 10_000;
    /// <summary>The longest message the proxy reads itself (the backend's greeting); the relay reads no messages.</summary>
    public const int MaxMessageLength = 1 << 20;

    /// <summary>A startup-phase packet (no type byte): the code and the rest of the body.</summary>
    public static async Task<(int Code, byte[] Body)> ReadStartupPacketAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[8];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 8 || length > MaxStartupLength) throw new InvalidDataException($"invalid startup packet length {length}");
        var body = new byte[length - 8];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)), body);
    }

    /// <summary>A typed message: its type byte and body, at most <paramref name="maxLength"/> bytes long.</summary>
    public static async Task<(byte Type, byte[] Body)> ReadMessageAsync(Stream stream, int maxLength, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 4 || length > maxLength) throw new InvalidDataException($"invalid message length {length}");
        var body = new byte[length - 4];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return (header[0], body);
    }

    public static byte[] Frame(byte type, ReadOnlySpan<byte> body)
    {
        var message = new byte[5 + body.Length];
        message[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), body.Length + 4);
        body.CopyTo(message.AsSpan(5));
        return message;
    }

    /// <summary>The startup parameters (user, database, options, application_name, ...).</summary>
    public static Dictionary<string, string> ParseParameters(byte[] body)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = Encoding.UTF8.GetString(body).Split('\0');
        for (var i = 0; i + 1 < parts.Length && parts[i].Length > 0; i += 2) parameters[parts[i]] = parts[i + 1];
        return parameters;
    }

    public static byte[] StartupMessage(IReadOnlyDictionary<string, string> parameters)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in parameters) text.Append(key).Append('\0').Append(value).Append('\0');
        text.Append('\0');
        var payload = Encoding.UTF8.GetBytes(text.ToString());
        var message = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), ProtocolVersion3);
        payload.CopyTo(message, 8);
        return message;
    }

    public static byte[] CleartextPasswordRequest()
    {
        Span<byte> body = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(body, 3);
        return Frame((byte)'R', body);
    }

    /// <summary>A FATAL ErrorResponse with a SQLSTATE, as PostgreSQL sends before closing.</summary>
    public static byte[] Fatal(string sqlState, string message)
    {
        var text = $"SFATAL\0VFATAL\0C{sqlState}\0M{message}\0\0";
        return Frame((byte)'E', Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The password of a PasswordMessage ('p'): a NUL-terminated string.</summary>
    public static string ReadPassword(byte[] body) => Encoding.UTF8.GetString(body).TrimEnd('\0');
}
