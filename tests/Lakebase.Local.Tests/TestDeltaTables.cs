using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace Lakebase.Local.Tests;

/// <summary>A minimal Delta writer for tests that need a source table of their own making (a recorded name, a size).</summary>
internal static class TestDeltaTables
{
    /// <summary>Writes commit <paramref name="version"/> of the table: one Parquet file with the rows, and at version 0
    /// the protocol and the schema (<paramref name="schemaString"/>, Delta's JSON schema of <typeparamref name="T"/>'s properties).</summary>
    public static async Task CommitAsync<T>(string directory, long version, IEnumerable<T> rows, string schemaString)
    {
        Directory.CreateDirectory(Path.Combine(directory, "_delta_log"));
        var file = $"part-{version:D5}-{Guid.NewGuid():N}.parquet";
        await using (var stream = File.Create(Path.Combine(directory, file)))
            await ParquetSerializer.SerializeAsync(rows, stream);
        var actions = new List<JsonObject>();
        if (version == 0)
        {
            actions.Add(new JsonObject { ["protocol"] = new JsonObject { ["minReaderVersion"] = 1, ["minWriterVersion"] = 2 } });
            actions.Add(new JsonObject
            {
                ["metaData"] = new JsonObject
                {
                    ["id"] = Guid.NewGuid().ToString(), ["format"] = new JsonObject { ["provider"] = "parquet", ["options"] = new JsonObject() },
                    ["schemaString"] = schemaString, ["partitionColumns"] = new JsonArray(), ["configuration"] = new JsonObject(),
                },
            });
        }
        actions.Add(new JsonObject
        {
            ["add"] = new JsonObject
            {
                ["path"] = file, ["partitionValues"] = new JsonObject(), ["size"] = new FileInfo(Path.Combine(directory, file)).Length,
                ["modificationTime"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ["dataChange"] = true,
            },
        });
        await File.WriteAllLinesAsync(Path.Combine(directory, "_delta_log", $"{version:D20}.json"), actions.Select(a => a.ToJsonString()));
    }
}
