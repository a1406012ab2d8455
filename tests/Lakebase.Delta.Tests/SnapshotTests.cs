using Lakebase.Delta;
using Xunit;
using static Lakebase.Delta.Tests.FixtureTables;

namespace Lakebase.Delta.Tests;

/// <summary>Every fixture table reads at its latest version exactly as tests/Fixtures/delta-tables/INDEX.md says.</summary>
public class SnapshotTests
{
    [Fact]
    public async Task PlainSmallTable()
    {
        Assert.Equal(Sorted(Enumerable.Range(0, 10).Select(i => i.ToString())), await ReadAsync("table-without-dv-small"));
    }

    [Fact]
    public async Task PartitionedByThreeStringColumns()
    {
        string[] value = ["1", "2", "3", "6", "7", "5", "4"], year = ["2020", "2020", "2020", "2021", "2021", "2021", "2021"],
            month = ["1", "2", "2", "12", "12", "12", "4"], day = ["1", "3", "5", "20", "20", "4", "5"];
        Assert.Equal(Sorted(value.Select((v, i) => $"{v}|{year[i]}|{month[i]}|{day[i]}")), await ReadAsync("delta-0.8.0-partitioned"));
    }

    [Fact]
    public async Task SimpleTableAfterMergeUpdateDeleteAndEmptyFiles()
    {
        Assert.Equal(["5", "7", "9"], await ReadAsync("simple_table"));
        var snapshot = await Open("simple_table").OpenSnapshotAsync();
        Assert.Equal(4, snapshot.Version); // the .tmp/00000000000000000005.json leftover is not a commit
        Assert.Equal(5, snapshot.Files.Count);
    }

    [Fact]
    public async Task SimpleTableAtVersion3HasSixFiles()
    {
        var snapshot = await Open("simple_table").OpenSnapshotAsync(3);
        Assert.Equal(6, snapshot.Files.Count);
    }

    [Fact]
    public async Task DeletionVectorInAFile()
    {
        Assert.Equal(Sorted(Enumerable.Range(1, 8).Select(i => i.ToString())), await ReadAsync("table-with-dv-small"));
        Assert.Equal(Sorted(Enumerable.Range(0, 10).Select(i => i.ToString())), await ReadAsync("table-with-dv-small", 0));
    }

    [Fact]
    public async Task PartitionedDeletionVectorsWithCheckpoint()
    {
        var expected = Enumerable.Range(0, 50).Where(x => !(x % 2 == 0 && x < 30)).Select(x => $"{x % 10}|{x}|foo{x % 5}");
        Assert.Equal(Sorted(expected), await ReadAsync("dv-partitioned-with-checkpoint"));
    }

    [Fact]
    public async Task CheckpointAgreesWithFullJsonReplay()
    {
        // Version 10 is the checkpoint itself; version 9 is replayed from JSON commits alone.
        var atCheckpoint = await Open("dv-partitioned-with-checkpoint").OpenSnapshotAsync(10);
        Assert.Equal(18, atCheckpoint.Files.Count);
        var expected = Enumerable.Range(0, 50).Where(x => !(x % 2 == 0 && x < 20)).Select(x => $"{x % 10}|{x}|foo{x % 5}");
        Assert.Equal(Sorted(expected), await ReadAsync("dv-partitioned-with-checkpoint", 10));
        var expected9 = Enumerable.Range(0, 50).Where(x => !(x % 2 == 0 && x < 18)).Select(x => $"{x % 10}|{x}|foo{x % 5}");
        Assert.Equal(Sorted(expected9), await ReadAsync("dv-partitioned-with-checkpoint", 9));
    }

    [Fact]
    public async Task CdfTableLatestVersion()
    {
        string[] expected = ["1|Steve|2023-12-22", "2|Bob|2023-12-22", "3|Dave|2023-12-22", "4|Kate|2023-12-22",
            "5|Emily|2023-12-29", "6|Carl|2023-12-29", "8|Claire|2023-12-25", "9|Ada|2023-12-25", "10|Borb|2023-12-25"];
        Assert.Equal(Sorted(expected), await ReadAsync("cdf-table"));
    }

    public static readonly string[] CdfNonPartitionedLatest =
    [
        "1|Steve|2024-04-14|1|true|3.14|1", "1|Alex|2024-04-14|1|true|3.14|1", "2|Bob|2024-04-14|1|true|3.14|1",
        "2|Alan|2024-04-15|1|true|3.14|1", "3|Dave|2024-04-14|2|true|3.14|1", "4|Kate|2024-04-14|3|true|3.14|1",
        "5|Emily|2024-04-14|4|true|3.14|1", "6|Carl|2024-04-14|5|true|3.14|1", "8|Claire|2024-04-17|7|true|3.14|1",
        "9|Ada|2024-04-17|8|true|3.14|1", "10|Borb|2024-04-17|99999999999999999|true|3.14|1",
    ];

    [Fact]
    public async Task CdfNonPartitionedLatestVersionProjectsOnlySchemaColumns()
    {
        Assert.Equal(Sorted(CdfNonPartitionedLatest), await ReadAsync("cdf-table-non-partitioned"));
    }

    [Fact]
    public async Task ColumnMappingByNameWithNestedTypes()
    {
        var expected = Enumerable.Range(0, 5).Select(i => string.Join("|",
            i, i, i, i, i, i, $"{i}.00", i % 2 == 0 ? "true" : "false", i, i, "2021-11-18", i * 1000,
            $"{{\"aa\":\"{i}\",\"ac\":{{\"aca\":{i}}}}}",
            $"[{i},{i + 1}]",
            $"[[{i},{i + 1}],[{i + 2},{i + 3}]]",
            $"[{{\"{i}\":[2,3],\"{i + 1}\":[4,5]}}]",
            $"[{{\"ab\":{i}}},{{\"ab\":{i}}}]",
            $"{{\"aa\":[{i},{i + 1}],\"ab\":{{\"[{i},{i + 1}]\":{{\"aca\":{i + 2}}}}}}}",
            $"{{\"{i}\":{i + 1},\"{i + 2}\":{i + 3}}}",
            $"{{\"{i + 1}\":{{\"ab\":{i * 20}}}}}",
            $"{{\"{i}\":[{i},null,{i + 1}],\"{i + 1}\":[]}}",
            $"{{\"{i}\":{{\"{i}\":{i}}},\"{i + 1}\":{{\"{i + 2}\":{i}}}}}"))
            .Append(string.Join("|", Enumerable.Repeat("null", 22)));
        Assert.Equal(Sorted(expected), await ReadAsync("table-with-columnmapping-mode-name"));
        var snapshot = await Open("table-with-columnmapping-mode-name").OpenSnapshotAsync();
        Assert.Equal("ByteType", snapshot.Metadata.Schema.Fields[0].Name);
    }

    [Fact]
    public async Task TimestampNtzAsDataAndPartitionWithNullPartition()
    {
        const string a = "1637202600123456", b = "1373043660123456";
        string[] expected = [$"0|{a}|{a}", $"1|{b}|{a}", $"2|null|{a}", $"3|{a}|{b}", $"4|{b}|{b}", $"5|null|{b}",
            $"6|{a}|null", $"7|{b}|null", "8|null|null"];
        Assert.Equal(Sorted(expected), await ReadAsync("data-reader-timestamp_ntz"));
    }

    [Fact]
    public async Task DecimalsInEveryEncodingAndAsPartition()
    {
        string[] expected = ["234.00000|1.00|2.00000|3.0000000000", "2342222.23454|111.11|22222.22222|3333333333.3333333333",
            "0.00004|0.00|0.00000|0.0000000000", "-2342342.23423|-999.99|-99999.99999|-9999999999.9999999999"];
        Assert.Equal(Sorted(expected), await ReadAsync("basic-decimal-table"));
    }
}
