using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Lakebase.Delta;
using Npgsql;
using NpgsqlTypes;

namespace Lakebase.Local.SyncedTables;

/// <summary>
/// Writes column batches into <c>COPY … FROM STDIN (FORMAT BINARY)</c> as PostgreSQL's binary tuple format, encoded
/// here column by column into one buffer. A snapshot writes millions of values: Npgsql's importer resolves, binds and
/// writes each through its parameter machinery, which cost more CPU than decoding them from Parquet; this writes each
/// as the few bytes its type takes, with the values Npgsql would send (infinity for DateTime/DateOnly Min and Max).
/// </summary>
internal sealed class BinaryCopy(NpgsqlRawCopyStream stream)
{
    /// <summary>The signature "PGCOPY\n\377\r\n\0", then no flags and no header extension.</summary>
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private byte[] _buffer = new byte[256 * 1024];
    private int _position;

    public static async Task<BinaryCopy> BeginAsync(NpgsqlConnection connection, string copyFromStdin, CancellationToken cancel)
    {
        var copy = new BinaryCopy(await connection.BeginRawBinaryCopyAsync(copyFromStdin, cancel));
        Header.CopyTo(copy._buffer, 0);
        copy._position = Header.Length;
        return copy;
    }

    /// <summary>Writes the rows of <paramref name="batch"/> whose key columns are all set; returns how many.</summary>
    public async Task<int> WriteAsync(ColumnBatch batch, IReadOnlyList<PostgresColumn> columns, IReadOnlyList<int> keyIndexes, CancellationToken cancel)
    {
        var encoders = columns.Select((column, c) => batch.Columns[c].Accept(new EncoderFactory(column))).ToArray();
        var keys = keyIndexes.Select(k => batch.Columns[k]).ToArray();
        var written = 0;
        for (var row = 0; row < batch.RowCount;)
        {
            row = EncodeRows(encoders, keys, row, batch.RowCount, ref written);
            if (row == batch.RowCount) break;
            if (_position == 0) Array.Resize(ref _buffer, _buffer.Length * 2); // one row larger than the whole buffer
            else await FlushAsync(cancel);
        }
        return written;
    }

    /// <summary>Encodes rows from <paramref name="row"/> on while they fit; returns the first row not encoded.</summary>
    private int EncodeRows(ColumnEncoder[] encoders, DeltaColumn[] keys, int row, int rowCount, ref int written)
    {
        for (; row < rowCount; row++)
        {
            if (HasNullKey(keys, row)) continue; // rows with a NULL key are skipped, as the service does
            var size = 2;
            foreach (var encoder in encoders) size += 4 + encoder.MaxSize(row);
            if (size > _buffer.Length - _position) return row;
            var span = _buffer.AsSpan(_position);
            BinaryPrimitives.WriteInt16BigEndian(span, (short)encoders.Length);
            var at = 2;
            foreach (var encoder in encoders)
            {
                if (encoder.IsNull(row))
                {
                    BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
                    at += 4;
                    continue;
                }
                var length = encoder.Encode(row, span[(at + 4)..]);
                BinaryPrimitives.WriteInt32BigEndian(span[at..], length);
                at += 4 + length;
            }
            _position += at;
            written++;
        }
        return row;
    }

    private static bool HasNullKey(DeltaColumn[] keys, int row)
    {
        foreach (var key in keys)
            if (key.IsNull(row)) return true;
        return false;
    }

    /// <summary>Ends the COPY: PostgreSQL checks and takes every row, or refuses them all.</summary>
    public async Task CompleteAsync(CancellationToken cancel)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_position), -1);
        _position += 2;
        await FlushAsync(cancel);
        await stream.DisposeAsync();
    }

    /// <summary>Abandons the COPY (after an error on this side): PostgreSQL discards what it was sent. The error that
    /// stopped it is the one to report; a COPY that cannot even be cancelled leaves a broken connection, closed with it.</summary>
    public async Task CancelAsync()
    {
        try { await stream.CancelAsync(); }
        catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException or InvalidOperationException or IOException) { }
    }

    private async Task FlushAsync(CancellationToken cancel)
    {
        await stream.WriteAsync(_buffer.AsMemory(0, _position), cancel);
        _position = 0;
    }

    /// <summary>One column of a batch as binary COPY values.</summary>
    private abstract class ColumnEncoder
    {
        public abstract bool IsNull(int row);
        /// <summary>At most how many bytes the row's value takes.</summary>
        public abstract int MaxSize(int row);
        /// <summary>Writes the row's value; returns its length.</summary>
        public abstract int Encode(int row, Span<byte> destination);
    }

    private sealed class NullEncoder : ColumnEncoder
    {
        public override bool IsNull(int row) => true;
        public override int MaxSize(int row) => 0;
        public override int Encode(int row, Span<byte> destination) => throw new InvalidOperationException();
    }

    private delegate void FixedWrite<T>(Span<byte> destination, T value);

    private sealed class FixedEncoder<T>(DeltaColumn<T> values, int size, FixedWrite<T> write) : ColumnEncoder
    {
        public override bool IsNull(int row) => values.IsNull(row);
        public override int MaxSize(int row) => size;
        public override int Encode(int row, Span<byte> destination)
        {
            write(destination, values[row]);
            return size;
        }
    }

    /// <summary>text, varchar and jsonb (jsonb's format version 1 first).</summary>
    private sealed class TextEncoder<T>(DeltaColumn<T> values, Func<T, string> text, bool jsonb) : ColumnEncoder where T : class?
    {
        private int _row = -1;
        private string _text = "";
        private string Text(int row)
        {
            if (row != _row) (_row, _text) = (row, text(values[row]));
            return _text;
        }
        public override bool IsNull(int row) => values.IsNull(row);
        public override int MaxSize(int row) => IsNull(row) ? 0 : 1 + Encoding.UTF8.GetMaxByteCount(Text(row).Length);
        public override int Encode(int row, Span<byte> destination)
        {
            if (!jsonb) return Encoding.UTF8.GetBytes(Text(row), destination);
            destination[0] = 1;
            return 1 + Encoding.UTF8.GetBytes(Text(row), destination[1..]);
        }
    }

    private sealed class BytesEncoder(DeltaColumn<byte[]> values) : ColumnEncoder
    {
        public override bool IsNull(int row) => values.IsNull(row);
        public override int MaxSize(int row) => values[row]?.Length ?? 0;
        public override int Encode(int row, Span<byte> destination)
        {
            values[row].CopyTo(destination);
            return values[row].Length;
        }
    }

    private sealed class NumericEncoder(DeltaColumn<decimal> values) : ColumnEncoder
    {
        public override bool IsNull(int row) => values.IsNull(row);
        public override int MaxSize(int row) => 8 + 2 * 10; // a 96-bit mantissa, padded to whole base-10000 groups, needs at most 9
        public override int Encode(int row, Span<byte> destination) => WriteNumeric(destination, values[row]);
    }

    /// <summary>
    /// numeric's binary form: digit count, weight (of the first base-10000 digit), sign, display scale, then the
    /// base-10000 digits. The mantissa is scaled up to a multiple of 4 decimal places so the decimal point falls
    /// between two digits.
    /// </summary>
    internal static int WriteNumeric(Span<byte> destination, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        var pad = (4 - scale % 4) % 4;
        var mantissa = new UInt128((ulong)(uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        for (var i = 0; i < pad; i++) mantissa *= 10;
        Span<short> digits = stackalloc short[10];
        var count = 0;
        for (; mantissa != 0; count++)
        {
            digits[count] = (short)(ushort)(mantissa % 10_000);
            mantissa /= 10_000;
        }
        var fractionDigits = (scale + pad) / 4;
        var trailingZeros = 0;
        while (trailingZeros < count && digits[trailingZeros] == 0) trailingZeros++;
        var written = count - trailingZeros;
        BinaryPrimitives.WriteInt16BigEndian(destination, (short)written);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)(count == 0 ? 0 : count - fractionDigits - 1));
        BinaryPrimitives.WriteInt16BigEndian(destination[4..], (short)(negative && count > 0 ? 0x4000 : 0));
        BinaryPrimitives.WriteInt16BigEndian(destination[6..], (short)scale);
        for (var i = 0; i < written; i++)
            BinaryPrimitives.WriteInt16BigEndian(destination[(8 + 2 * i)..], digits[count - 1 - i]);
        return 8 + 2 * written;
    }

    private const long PostgresEpochTicks = 630822816000000000L; // 2000-01-01
    private static readonly DateOnly PostgresEpochDate = new(2000, 1, 1);

    private static void WriteTimestamp(Span<byte> destination, DateTime value) => BinaryPrimitives.WriteInt64BigEndian(destination,
        value.Ticks == DateTime.MaxValue.Ticks ? long.MaxValue
        : value.Ticks == DateTime.MinValue.Ticks ? long.MinValue
        : (value.Ticks - PostgresEpochTicks) / 10);

    private static void WriteDate(Span<byte> destination, DateOnly value) => BinaryPrimitives.WriteInt32BigEndian(destination,
        value == DateOnly.MaxValue ? int.MaxValue
        : value == DateOnly.MinValue ? int.MinValue
        : value.DayNumber - PostgresEpochDate.DayNumber);

    /// <summary>Picks the encoder for a column's values (their CLR type) and its PostgreSQL type.</summary>
    private sealed class EncoderFactory(PostgresColumn column) : IDeltaColumnVisitor<ColumnEncoder>
    {
        public ColumnEncoder Visit<T>(DeltaColumn<T> values) => (values, column.DbType) switch
        {
            (DeltaColumn<long> v, NpgsqlDbType.Bigint) => new FixedEncoder<long>(v, 8, static (d, x) => BinaryPrimitives.WriteInt64BigEndian(d, x)),
            (DeltaColumn<int> v, NpgsqlDbType.Bigint) => new FixedEncoder<int>(v, 8, static (d, x) => BinaryPrimitives.WriteInt64BigEndian(d, x)),
            (DeltaColumn<int> v, NpgsqlDbType.Integer) => new FixedEncoder<int>(v, 4, static (d, x) => BinaryPrimitives.WriteInt32BigEndian(d, x)),
            (DeltaColumn<short> v, NpgsqlDbType.Bigint) => new FixedEncoder<short>(v, 8, static (d, x) => BinaryPrimitives.WriteInt64BigEndian(d, x)),
            (DeltaColumn<short> v, NpgsqlDbType.Integer) => new FixedEncoder<short>(v, 4, static (d, x) => BinaryPrimitives.WriteInt32BigEndian(d, x)),
            (DeltaColumn<short> v, NpgsqlDbType.Smallint) => new FixedEncoder<short>(v, 2, static (d, x) => BinaryPrimitives.WriteInt16BigEndian(d, x)),
            (DeltaColumn<float> v, NpgsqlDbType.Real) => new FixedEncoder<float>(v, 4, static (d, x) => BinaryPrimitives.WriteSingleBigEndian(d, x)),
            (DeltaColumn<float> v, NpgsqlDbType.Double) => new FixedEncoder<float>(v, 8, static (d, x) => BinaryPrimitives.WriteDoubleBigEndian(d, x)),
            (DeltaColumn<double> v, NpgsqlDbType.Double) => new FixedEncoder<double>(v, 8, static (d, x) => BinaryPrimitives.WriteDoubleBigEndian(d, x)),
            (DeltaColumn<bool> v, NpgsqlDbType.Boolean) => new FixedEncoder<bool>(v, 1, static (d, x) => d[0] = x ? (byte)1 : (byte)0),
            (DeltaColumn<DateOnly> v, NpgsqlDbType.Date) => new FixedEncoder<DateOnly>(v, 4, WriteDate),
            (DeltaColumn<DateTime> v, NpgsqlDbType.Timestamp or NpgsqlDbType.TimestampTz) => new FixedEncoder<DateTime>(v, 8, WriteTimestamp),
            (DeltaColumn<decimal> v, NpgsqlDbType.Numeric) => new NumericEncoder(v),
            (DeltaColumn<string> v, NpgsqlDbType.Text or NpgsqlDbType.Varchar) => new TextEncoder<string>(v, static s => s, jsonb: false),
            (DeltaColumn<JsonNode?> v, NpgsqlDbType.Jsonb) => new TextEncoder<JsonNode?>(v, static n => n!.ToJsonString(), jsonb: true),
            (DeltaColumn<byte[]> v, NpgsqlDbType.Bytea) => new BytesEncoder(v),
            (DeltaColumn<object?>, _) => new NullEncoder(), // a partition value or a column the file lacks, NULL in every row
            _ => throw new InvalidOperationException($"Column '{column.Name}' holds {typeof(T).Name} values, which cannot be written as {column.SqlType}."),
        };
    }
}
