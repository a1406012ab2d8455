#requires -Version 7.4
<#
.SYNOPSIS
    SNAPSHOT sync throughput: a Delta table of 1,000,000 rows x 5 columns (bigint, text, timestamptz, double, bool)
    synced into Lakebase Local's PostgreSQL by New-LakebaseSyncedTable, as rows/s and as a ratio to psql \copy of
    the same rows from CSV into the same database, in the same run. The input table is written here by a minimal
    Delta writer of the bench's own (Parquet.Net, one JSON commit).
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Rows = 1000000, [int] $Files = 4)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-sync-$PID"
$bin = (Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int]$_.Name } -Descending | Select-Object -First 1).FullName + '/bin'

# The writer runs on Lakebase Local's own Parquet.Net (local/), loaded here with the libraries it needs.
$local = Join-Path (Split-Path (Resolve-Path $ModulePath)) 'local'
$parquetDeps = 'Parquet', 'Snappier', 'ZstdSharp', 'K4os.Compression.LZ4', 'Microsoft.IO.RecyclableMemoryStream', 'CommunityToolkit.HighPerformance'
foreach ($name in $parquetDeps) { [Reflection.Assembly]::LoadFrom((Join-Path $local "$name.dll")) | Out-Null }
Add-Type -ReferencedAssemblies (Join-Path $local 'Parquet.dll'), System.Collections, System.Linq, System.Threading.Tasks, System.Runtime, netstandard -CompilerOptions '-nowarn:CS1701' -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Parquet.Serialization;

public sealed class BenchRow
{
    public long Id { get; set; }
    public string Label { get; set; } = "";
    public DateTime At { get; set; }
    public double Amount { get; set; }
    public bool Flag { get; set; }
}

public static class BenchDelta
{
    private static BenchRow Row(long i) => new BenchRow
    {
        Id = i, Label = "label-" + i.ToString(CultureInfo.InvariantCulture), At = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i),
        Amount = i * 1.25, Flag = i % 3 == 0,
    };

    /// <summary>A Delta table: Parquet files of the rows and one commit adding them.</summary>
    public static void Write(string dir, long rows, int files)
    {
        Directory.CreateDirectory(Path.Combine(dir, "_delta_log"));
        var schema = "{\"type\":\"struct\",\"fields\":[" + string.Join(",", new[] { ("Id", "long"), ("Label", "string"), ("At", "timestamp"), ("Amount", "double"), ("Flag", "boolean") }
            .Select(f => $"{{\"name\":\"{f.Item1}\",\"type\":\"{f.Item2}\",\"nullable\":true,\"metadata\":{{}}}}")) + "]}";
        var log = new StringBuilder();
        log.AppendLine("{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}");
        log.AppendLine("{\"metaData\":{\"id\":\"" + Guid.NewGuid() + "\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":" +
            "\"" + schema.Replace("\"", "\\\"") + "\"" + ",\"partitionColumns\":[],\"configuration\":{},\"createdTime\":0}}");
        var perFile = rows / files;
        for (var f = 0; f < files; f++)
        {
            var from = f * perFile + 1;
            var count = f == files - 1 ? rows - f * perFile : perFile;
            var name = $"part-{f:D5}.parquet";
            using (var stream = File.Create(Path.Combine(dir, name)))
                ParquetSerializer.SerializeAsync(Enumerable.Range(0, (int)count).Select(i => Row(from + i)), stream).GetAwaiter().GetResult();
            log.AppendLine("{\"add\":{\"path\":\"" + name + "\",\"partitionValues\":{},\"size\":" + new FileInfo(Path.Combine(dir, name)).Length +
                ",\"modificationTime\":0,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":" + count + "}\"}}");
        }
        File.WriteAllText(Path.Combine(dir, "_delta_log", "00000000000000000000.json"), log.ToString());
    }

    /// <summary>The same rows as CSV, for psql \copy.</summary>
    public static void WriteCsv(string file, long rows)
    {
        using var writer = new StreamWriter(file);
        for (long i = 1; i <= rows; i++)
        {
            var r = Row(i);
            writer.Write(r.Id.ToString(CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Label); writer.Write(',');
            writer.Write(r.At.ToString("yyyy-MM-dd HH:mm:ss+00", CultureInfo.InvariantCulture)); writer.Write(',');
            writer.Write(r.Amount.ToString("R", CultureInfo.InvariantCulture)); writer.Write(',');
            writer.WriteLine(r.Flag ? "t" : "f");
        }
    }
}
'@

try {
    $delta = Join-Path $root 'lake/bench_rows'
    $csv = Join-Path $root 'bench_rows.csv'
    New-Item -ItemType Directory (Join-Path $root 'lake') -Force | Out-Null
    [BenchDelta]::Write($delta, $Rows, $Files)
    [BenchDelta]::WriteCsv($csv, $Rows)
    Start-LakebaseLocal -StateRoot $root -Port 0 | Out-Null
    Connect-Lakebase -Local -StateRoot $root | Out-Null
    New-LakebaseProject bench -NoSuspension | Out-Null
    $branch = Get-LakebaseBranch -ProjectId bench production
    $branch | New-LakebaseCatalog -Name bench -PostgresDatabase databricks_postgres | Out-Null
    Register-LakebaseDeltaTable main.bench.rows $delta | Out-Null

    # psql \copy of the same rows from CSV, into a table of the same columns and primary key.
    $libpq = $branch | Get-LakebaseCredential -AsConnectionString
    & "$bin/psql" $libpq -q -c 'CREATE TABLE copied (id bigint PRIMARY KEY, label text, at timestamptz, amount double precision, flag boolean)' | Out-Null
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & "$bin/psql" $libpq -q -c "\copy copied FROM '$csv' WITH (FORMAT csv)" | Out-Null
    $copySeconds = $watch.Elapsed.TotalSeconds

    # The synced table's own record of its sync: start to end of the load and swap, without the client's polling.
    $synced = New-LakebaseSyncedTable -Name bench.bench.rows -Source main.bench.rows -PrimaryKey Id
    $sync = $synced.Raw.Status.LastSync
    $syncSeconds = ($sync.SyncEndTime - $sync.SyncStartTime).TotalSeconds
    $count = $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM bench.rows' -As Scalar
    if ($count -ne $Rows) { throw "The synced table has $count rows, not $Rows." }

    'SNAPSHOT sync of {0:N0} rows x 5 columns (Delta, {1} Parquet files) on {2} cores' -f $Rows, $Files, [Environment]::ProcessorCount
    '  psql \copy from CSV        {0,7:N2} s  {1,10:N0} rows/s' -f $copySeconds, ($Rows / $copySeconds)
    '  New-LakebaseSyncedTable    {0,7:N2} s  {1,10:N0} rows/s  {2:N2}x the rows/s of psql \copy (target > 100,000 rows/s)' -f $syncSeconds, ($Rows / $syncSeconds), (($Rows / $syncSeconds) / ($Rows / $copySeconds))
}
finally {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
