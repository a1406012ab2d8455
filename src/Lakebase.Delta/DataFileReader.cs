using Parquet;
using Parquet.Schema;

namespace Lakebase.Delta;

/// <summary>
/// Reads the rows of one data (or change) file as the table's schema columns, in schema order: columns from
/// Parquet by the column-mapping mode, partition columns from the log, deleted rows left out.
/// </summary>
internal sealed class DataFileReader(string tableRoot, DeltaMetadata metadata)
{
    private readonly ColumnMappingMode mapping = metadata.ColumnMapping;

    /// <param name="extraColumn">A Parquet column outside the schema to append to each row (CDF's _change_type).</param>
    public async IAsyncEnumerable<object?[]> ReadAsync(DeltaFile file, string? extraColumn,
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
        long rowIndex = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var columns = new object?[]?[width];
            var constants = new object?[width];
            for (var c = 0; c < fields.Count; c++)
            {
                var field = fields[c];
                if (metadata.PartitionColumns.Contains(field.Name))
                {
                    var key = mapping == ColumnMappingMode.None ? field.Name : field.PhysicalName;
                    constants[c] = PartitionValues.Parse(file.PartitionValues.GetValueOrDefault(key), field.Type);
                }
                else if (ParquetAssembler.FindField(reader.Schema.Fields, field, mapping) is { } parquetField)
                {
                    columns[c] = await ParquetAssembler.ReadColumnAsync(group, parquetField, field.Type, mapping, cancel);
                }
            }
            if (extraColumn is not null && reader.Schema.Fields.FirstOrDefault(f => f.Name == extraColumn) is { } extra)
                columns[^1] = await ParquetAssembler.ReadColumnAsync(group, extra, null, ColumnMappingMode.None, cancel);
            for (var r = 0; r < group.RowCount; r++, rowIndex++)
            {
                if (deleted?.Contains(rowIndex) == true) continue;
                var row = new object?[width];
                for (var c = 0; c < width; c++)
                    row[c] = columns[c] is { } values ? Convert(values[r], c < fields.Count ? fields[c].Type : null) : constants[c];
                yield return row;
            }
        }
    }

    /// <summary>Gives Parquet's CLR values the Delta type's meaning (timestamp is UTC, timestamp_ntz is not).</summary>
    private static object? Convert(object? value, DeltaType? type) => (value, (type as DeltaPrimitiveType)?.Name) switch
    {
        (DateTime t, "timestamp") => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        (DateTime t, "timestamp_ntz") => DateTime.SpecifyKind(t, DateTimeKind.Unspecified),
        (DateTime t, "date") => DateOnly.FromDateTime(t),
        (sbyte b, _) => (short)b,
        (decimal d, { } name) when name.StartsWith("decimal", StringComparison.Ordinal) => WithScale(d, name),
        _ => value,
    };

    /// <summary>Parquet.Net drops trailing zeros; the column's scale puts them back (3 as decimal(20,10) is 3.0000000000).</summary>
    private static decimal WithScale(decimal value, string typeName)
    {
        var comma = typeName.IndexOf(',');
        var scale = byte.Parse(typeName.AsSpan(comma + 1, typeName.Length - comma - 2), System.Globalization.CultureInfo.InvariantCulture);
        return value.Scale >= scale ? value : value + new decimal(0, 0, 0, false, scale);
    }
}
