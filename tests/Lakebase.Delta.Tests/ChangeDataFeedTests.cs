using Lakebase.Delta;
using Xunit;
using static Lakebase.Delta.Tests.FixtureTables;

namespace Lakebase.Delta.Tests;

/// <summary>The Change Data Feed of the CDF fixtures, row for row as INDEX.md gives it; and what the reader refuses.</summary>
public class ChangeDataFeedTests
{
    private static async Task<List<string>> ChangesAsync(string name, long from, long to)
    {
        var rows = new List<string>();
        await foreach (var c in Open(name).ReadChangesAsync(from, to))
            rows.Add($"{Format(c.Values)}|{c.Type}|{c.Version}|{c.Timestamp:yyyy-MM-ddTHH:mm:ss.fff}");
        return Sorted(rows);
    }

    [Fact]
    public async Task PartitionedTableFromVersion0()
    {
        const string t0 = "0|2023-12-22T17:10:18.828", t1 = "1|2023-12-22T17:10:21.675", t2 = "2|2023-12-29T21:41:33.785", t3 = "3|2024-01-06T16:44:59.570";
        string[] expected =
        [
            $"1|Steve|2023-12-22|Insert|{t0}", $"2|Bob|2023-12-23|Insert|{t0}", $"3|Dave|2023-12-23|Insert|{t0}",
            $"4|Kate|2023-12-23|Insert|{t0}", $"5|Emily|2023-12-24|Insert|{t0}", $"6|Carl|2023-12-24|Insert|{t0}",
            $"7|Dennis|2023-12-24|Insert|{t0}", $"8|Claire|2023-12-25|Insert|{t0}", $"9|Ada|2023-12-25|Insert|{t0}",
            $"10|Borb|2023-12-25|Insert|{t0}",
            $"2|Bob|2023-12-23|UpdatePreimage|{t1}", $"3|Dave|2023-12-23|UpdatePreimage|{t1}", $"4|Kate|2023-12-23|UpdatePreimage|{t1}",
            $"2|Bob|2023-12-22|UpdatePostimage|{t1}", $"3|Dave|2023-12-22|UpdatePostimage|{t1}", $"4|Kate|2023-12-22|UpdatePostimage|{t1}",
            $"5|Emily|2023-12-24|UpdatePreimage|{t2}", $"6|Carl|2023-12-24|UpdatePreimage|{t2}", $"7|Dennis|2023-12-24|UpdatePreimage|{t2}",
            $"5|Emily|2023-12-29|UpdatePostimage|{t2}", $"6|Carl|2023-12-29|UpdatePostimage|{t2}", $"7|Dennis|2023-12-29|UpdatePostimage|{t2}",
            $"7|Dennis|2023-12-29|Delete|{t3}",
        ];
        Assert.Equal(Sorted(expected), await ChangesAsync("cdf-table", 0, 3));
    }

    [Fact]
    public async Task NonPartitionedTableChangeCountsPerVersion()
    {
        var changes = new List<DeltaChange>();
        await foreach (var c in Open("cdf-table-non-partitioned").ReadChangesAsync(0, 4)) changes.Add(c);
        var counts = changes.GroupBy(c => (c.Version, c.Type)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<(long, ChangeType), int>
        {
            [(0, ChangeType.Insert)] = 10, [(1, ChangeType.UpdatePreimage)] = 3, [(1, ChangeType.UpdatePostimage)] = 3,
            [(2, ChangeType.UpdatePreimage)] = 3, [(2, ChangeType.UpdatePostimage)] = 3, [(3, ChangeType.Delete)] = 1,
            [(4, ChangeType.Insert)] = 2,
        }, counts);
        Assert.Contains(changes, c => c.Version == 4 && Format(c.Values) == "2|Alan|2024-04-15|1|true|3.14|1"
            && c.Timestamp == DateTimeOffset.FromUnixTimeMilliseconds(1713110313444));
        Assert.Contains(changes, c => c.Version == 3 && c.Type == ChangeType.Delete && Format(c.Values) == "7|Dennis|2024-04-14|6|true|3.14|1");
    }

    [Fact]
    public async Task ReversedRangeIsRefused()
    {
        await Assert.ThrowsAsync<DeltaException>(async () => await ChangesAsync("cdf-table", 3, 1));
    }

    [Fact]
    public async Task TableWithoutChangeDataFeedIsRefused()
    {
        var error = await Assert.ThrowsAsync<DeltaException>(async () => await ChangesAsync("simple_table", 0, 4));
        Assert.Contains("enableChangeDataFeed", error.Message);
    }

    [Fact]
    public async Task UnsupportedReaderFeatureIsNamed()
    {
        var dir = Directory.CreateTempSubdirectory("delta-feature-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "_delta_log"));
            File.WriteAllText(Path.Combine(dir.FullName, "_delta_log", "00000000000000000000.json"),
                """
                {"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["v2Checkpoint"],"writerFeatures":["v2Checkpoint"]}}
                {"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}}
                """);
            var error = await Assert.ThrowsAsync<DeltaUnsupportedFeatureException>(() => new DeltaTable(dir.FullName).OpenSnapshotAsync());
            Assert.Equal("v2Checkpoint", error.Feature);
            Assert.Contains("v2Checkpoint", error.Message);
        }
        finally { dir.Delete(recursive: true); }
    }
}
