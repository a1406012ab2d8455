using System.Buffers.Binary;

namespace Lakebase.Delta;

/// <summary>
/// Loads deletion vectors: the row indexes of a data file that are deleted. Stored inline (Z85 in the log),
/// in a <c>deletion_vector_&lt;uuid&gt;.bin</c> next to the data (u) or at an absolute path (p); the bitmap is a
/// portable RoaringTreemap after the magic number, as the Delta protocol specifies.
/// </summary>
internal static class DeletionVectors
{
    private const int Magic = 1681511377;

    public static async Task<HashSet<long>> LoadAsync(string tableRoot, DeletionVectorDescriptor dv, CancellationToken cancel)
    {
        byte[] bitmap;
        switch (dv.StorageType)
        {
            case "i":
                bitmap = Z85.Decode(dv.PathOrInlineDv);
                break;
            case "u" or "p":
                var path = dv.StorageType == "p"
                    ? new Uri(dv.PathOrInlineDv).LocalPath
                    : Path.Combine(tableRoot, RelativePath(dv.PathOrInlineDv));
                await using (var file = File.OpenRead(path))
                {
                    file.Seek(dv.Offset, SeekOrigin.Begin);
                    var header = new byte[4];
                    await file.ReadExactlyAsync(header, cancel);
                    bitmap = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
                    await file.ReadExactlyAsync(bitmap, cancel);
                }
                break;
            default:
                throw new DeltaUnsupportedFeatureException("deletionVectors",
                    $"Deletion vector storage type '{dv.StorageType}' is not supported.");
        }
        var rows = RoaringTreemap.Read(bitmap);
        if (rows.Count != dv.Cardinality)
            throw new DeltaException($"A deletion vector holds {rows.Count} rows where the log says {dv.Cardinality}.");
        return rows;
    }

    /// <summary>'u': an optional random prefix, then the file's uuid in 20 Z85 characters.</summary>
    private static string RelativePath(string pathOrInlineDv)
    {
        var prefix = pathOrInlineDv[..^20];
        var uuid = Z85.Decode(pathOrInlineDv[^20..]);
        var hex = Convert.ToHexStringLower(uuid);
        var name = $"deletion_vector_{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}.bin";
        return prefix.Length == 0 ? name : Path.Combine(prefix, name);
    }

    private static class RoaringTreemap
    {
        public static HashSet<long> Read(ReadOnlySpan<byte> data)
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(data) != Magic)
                throw new DeltaException("A deletion vector does not start with the RoaringTreemap magic number.");
            var count = BinaryPrimitives.ReadInt64LittleEndian(data[4..]);
            var offset = 12;
            var rows = new HashSet<long>();
            for (long i = 0; i < count; i++)
            {
                long high = (long)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) << 32;
                offset += 4;
                offset += RoaringBitmap.Read(data[offset..], low => rows.Add(high | low));
            }
            return rows;
        }
    }

    /// <summary>The portable 32-bit RoaringBitmap serialization (array, bitmap and run containers).</summary>
    private static class RoaringBitmap
    {
        private const int SerialCookieNoRun = 12346;
        private const int SerialCookie = 12347;

        public static int Read(ReadOnlySpan<byte> data, Action<uint> add)
        {
            var cookie = BinaryPrimitives.ReadUInt32LittleEndian(data);
            int pos = 4, containers;
            ReadOnlySpan<byte> runFlags = default;
            if ((cookie & 0xFFFF) == SerialCookie)
            {
                containers = (int)(cookie >> 16) + 1;
                var flagBytes = (containers + 7) / 8;
                runFlags = data.Slice(pos, flagBytes);
                pos += flagBytes;
            }
            else if (cookie == SerialCookieNoRun)
            {
                containers = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
                pos += 4;
            }
            else throw new DeltaException("A deletion vector holds an unknown RoaringBitmap format.");
            var keys = new ushort[containers];
            var cardinalities = new int[containers];
            for (var i = 0; i < containers; i++)
            {
                keys[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                cardinalities[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]) + 1;
                pos += 4;
            }
            if (runFlags.IsEmpty || containers >= 4) pos += 4 * containers; // the offset header
            for (var i = 0; i < containers; i++)
            {
                uint high = (uint)keys[i] << 16;
                var isRun = !runFlags.IsEmpty && (runFlags[i / 8] & (1 << (i % 8))) != 0;
                if (isRun)
                {
                    var runs = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                    pos += 2;
                    for (var r = 0; r < runs; r++)
                    {
                        var start = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                        var length = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
                        pos += 4;
                        for (var v = 0; v <= length; v++) add(high | (uint)(start + v));
                    }
                }
                else if (cardinalities[i] <= 4096)
                {
                    for (var j = 0; j < cardinalities[i]; j++)
                        add(high | BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2 * j)..]));
                    pos += 2 * cardinalities[i];
                }
                else
                {
                    for (var w = 0; w < 1024; w++)
                    {
                        var word = BinaryPrimitives.ReadUInt64LittleEndian(data[(pos + 8 * w)..]);
                        for (var b = 0; word != 0; b++, word >>= 1)
                            if ((word & 1) != 0) add(high | (uint)(w * 64 + b));
                    }
                    pos += 8192;
                }
            }
            return pos;
        }
    }

    /// <summary>ZeroMQ's Z85: 5 characters for each 4 bytes, big-endian.</summary>
    private static class Z85
    {
        private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

        public static byte[] Decode(string text)
        {
            if (text.Length % 5 != 0) throw new DeltaException("A deletion vector's Z85 text is not a multiple of 5 characters.");
            var bytes = new byte[text.Length / 5 * 4];
            for (int i = 0, o = 0; i < text.Length; i += 5, o += 4)
            {
                uint value = 0;
                for (var j = 0; j < 5; j++)
                {
                    var digit = Alphabet.IndexOf(text[i + j]);
                    if (digit < 0) throw new DeltaException("A deletion vector's Z85 text has an invalid character.");
                    value = value * 85 + (uint)digit;
                }
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(o), value);
            }
            return bytes;
        }
    }
}
