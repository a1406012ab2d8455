using System.Reflection;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Lakebase.Delta;

/// <summary>
/// Reads the rows of one data (or change) file as the table's schema columns, in schema order, one row group at a
/// time: columns from Parquet by the column-mapping mode, partition columns from the log, deleted rows left out.
/// A top-level primitive column is decoded into one typed array per row group, converted to the Delta type's
/// meaning once per column; arrays, maps and structs are assembled into JSON.
/// </summary>
internal sealed class DataFileReader(string tableRoot, DeltaMetadata metadata)
{
    private readonly ColumnMappingMode mapping = metadata.ColumnMapping;

    /// <param name="extraColumn">A Parquet column outside the schema to append to each row (CDF's _change_type).</param>
    public async IAsyncEnumerable<ColumnBatch> ReadAsync(DeltaFile file, string? extraColumn,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        var deleted = file.DeletionVector is { } dv ? await DeletionVectors.LoadAsync(tableRoot, dv, cancel) : null;
        var fields = metadata.Schema.Fields;
        var width = fields.Count + (extraColumn is null ? 0 : 1);
        var path = Path.Combine(tableRoot, file.Path);
        if (!File.Exists(path))
            throw new DeltaException($"The data file '{file.Path}' named in the log is missing.");
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, new ParquetOptions { UseDateOnlyTypeForDates = true }, cancellationToken: cancel);
        long firstRow = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rowCount = checked((int)group.RowCount);
            var columns = new DeltaColumn[width];
            for (var c = 0; c < fields.Count; c++)
            {
                var field = fields[c];
                if (metadata.PartitionColumns.Contains(field.Name))
                {
                    var key = mapping == ColumnMappingMode.None ? field.Name : field.PhysicalName;
                    columns[c] = DeltaColumn.Repeat(PartitionValues.Parse(file.PartitionValues.GetValueOrDefault(key), field.Type), rowCount);
                }
                else
                {
                    // A column the file lacks (added to the schema later) is NULL in its rows.
                    columns[c] = ParquetAssembler.FindField(reader.Schema.Fields, field, mapping) is { } parquetField
                        ? await ReadColumnAsync(group, parquetField, field.Type, mapping, cancel)
                        : DeltaColumn.Repeat(null, rowCount);
                }
            }
            if (extraColumn is not null)
                columns[^1] = reader.Schema.Fields.FirstOrDefault(f => f.Name == extraColumn) is { } extra
                    ? await ReadColumnAsync(group, extra, null, ColumnMappingMode.None, cancel)
                    : DeltaColumn.Repeat(null, rowCount);
            if (deleted is not null)
            {
                var kept = Enumerable.Range(0, rowCount).Where(r => !deleted.Contains(firstRow + r)).ToArray();
                if (kept.Length < rowCount)
                {
                    for (var c = 0; c < width; c++) columns[c] = columns[c].Take(kept);
                    rowCount = kept.Length;
                }
            }
            firstRow += group.RowCount;
            yield return new ColumnBatch(rowCount, columns);
        }
    }

    private static async Task<DeltaColumn> ReadColumnAsync(ParquetRowGroupReader group, Field field, DeltaType? type,
        ColumnMappingMode mapping, CancellationToken cancel) => field is DataField { MaxRepetitionLevel: 0 } data
            ? await ReadPrimitiveAsync(group, data, type, cancel)
            : new DeltaColumn<System.Text.Json.Nodes.JsonNode?>(await ParquetAssembler.ReadColumnAsync(group, field, type, mapping, cancel), nulls: null);

    private static readonly MethodInfo ReadTyped =
        typeof(DataFileReader).GetMethod(nameof(ReadTypedAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static Task<DeltaColumn> ReadPrimitiveAsync(ParquetRowGroupReader group, DataField field, DeltaType? type, CancellationToken cancel) =>
        (Task<DeltaColumn>)ReadTyped.MakeGenericMethod(field.ClrType).Invoke(null, [group, field, type, cancel])!;

    private static async Task<DeltaColumn> ReadTypedAsync<T>(ParquetRowGroupReader group, DataField field, DeltaType? type,
        CancellationToken cancel) where T : struct
    {
        using var raw = (RawColumnData<T>)await group.ReadRawColumnDataBaseAsync(field, cancel);
        // The buffers are pooled and may be longer than the column: the chunk's value count bounds the levels.
        var levels = (int)group.GetMetadata(field)!.MetaData!.NumValues;
        var name = (type as DeltaPrimitiveType)?.Name;
        return raw switch
        {
            RawColumnData<DateTime> t => name switch
            {
                "timestamp" => Expand(t, field, levels, static v => DateTime.SpecifyKind(v, DateTimeKind.Utc)),
                "timestamp_ntz" => Expand(t, field, levels, static v => DateTime.SpecifyKind(v, DateTimeKind.Unspecified)),
                "date" => Expand(t, field, levels, DateOnly.FromDateTime),
                _ => Expand(t, field, levels, static v => v),
            },
            RawColumnData<sbyte> b => Expand(b, field, levels, static v => (short)v),
            RawColumnData<decimal> d when type is DeltaPrimitiveType { IsDecimal: true } p => Expand(d, field, levels, WithScale(p.Name)),
            RawColumnData<ReadOnlyMemory<char>> s => Expand(s, field, levels, static v => new string(v.Span)),
            RawColumnData<ReadOnlyMemory<byte>> b => Expand(b, field, levels, static v => v.ToArray()),
            _ => Expand(raw, field, levels, static v => v),
        };
    }

    /// <summary>One value per row from Parquet's dense values (one per defined slot) and definition levels.</summary>
    private static DeltaColumn<TOut> Expand<TIn, TOut>(RawColumnData<TIn> raw, DataField field, int rows, Func<TIn, TOut> convert) where TIn : struct
    {
        var dense = raw.Values;
        var values = new TOut[rows];
        if (field.MaxDefinitionLevel == 0)
        {
            for (var r = 0; r < rows; r++) values[r] = convert(dense[r]);
            return new DeltaColumn<TOut>(values, nulls: null);
        }
        var definitions = raw.DefinitionLevels;
        var defined = field.MaxDefinitionLevel;
        var nulls = new bool[rows];
        for (int r = 0, v = 0; r < rows; r++)
        {
            if (definitions[r] == defined) values[r] = convert(dense[v++]);
            else nulls[r] = true;
        }
        return new DeltaColumn<TOut>(values, nulls);
    }

    /// <summary>Parquet.Net drops trailing zeros; the column's scale puts them back (3 as decimal(20,10) is 3.0000000000).</summary>
    private static Func<decimal, decimal> WithScale(string typeName)
    {
        var comma = typeName.IndexOf(',');
        var scale = byte.Parse(typeName.AsSpan(comma + 1, typeName.Length - comma - 2), System.Globalization.CultureInfo.InvariantCulture);
        var zero = new decimal(0, 0, 0, false, scale);
        return value => value.Scale >= scale ? value : value + zero;
    }
}
