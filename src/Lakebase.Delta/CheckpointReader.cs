using System.Text.Json.Nodes;
using Parquet;

namespace Lakebase.Delta;

/// <summary>Reads the actions of a Parquet checkpoint (all its parts) as the JSON objects a commit would hold.</summary>
internal static class CheckpointReader
{
    private static readonly string[] Actions = ["add", "remove", "metaData", "protocol"];

    public static async Task<List<JsonObject>> ReadAsync(IReadOnlyList<string> parts, CancellationToken cancel)
    {
        var actions = new List<JsonObject>();
        foreach (var part in parts)
        {
            await using var stream = File.OpenRead(part);
            await using var reader = await ParquetReader.CreateAsync(stream, new ParquetOptions { UseDateOnlyTypeForDates = true }, cancellationToken: cancel);
            var columns = reader.Schema.Fields.Where(f => Actions.Contains(f.Name)).ToList();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var values = new List<(string Name, object?[] Rows)>();
                foreach (var column in columns)
                    values.Add((column.Name, await ParquetAssembler.ReadColumnAsync(group, column, null, ColumnMappingMode.None, cancel)));
                for (var row = 0; row < group.RowCount; row++)
                    foreach (var (name, rows) in values)
                        if (rows[row] is JsonObject action)
                            actions.Add(new JsonObject { [name] = action });
            }
        }
        return actions;
    }
}
