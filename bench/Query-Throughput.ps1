#requires -Version 7.4
<#
.SYNOPSIS
    Rows into the pipeline: Invoke-LakebaseQuery | Measure-Object over a table of int, text, timestamptz, numeric and
    bool, as a ratio to a raw Npgsql read loop (typed getters, no objects), against a DataTable-rows cmdlet (how
    Invoke-Sqlcmd works) and psql --csv | ConvertFrom-Csv, with the managed heap's peak growth per run. All in this
    one process, through Lakebase Local's TLS proxy.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Rows = 1000000, [int] $Repeat = 3)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-query-$PID"
$bin = (Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int]$_.Name } -Descending | Select-Object -First 1).FullName + '/bin'

# The comparisons run in this process on the module's own Npgsql (deps/, in the module's load context), compiled here
# rather than shipped in the product (Npgsql is built against .NET 8; pwsh runs a newer one, hence -nowarn:CS1701).
$npgsqlAssembly = Join-Path (Split-Path (Resolve-Path $ModulePath)) 'deps/Npgsql.dll'
Add-Type -ReferencedAssemblies $npgsqlAssembly, ([psobject].Assembly.Location), System.Data.Common, System.ComponentModel.Primitives, System.ComponentModel.TypeConverter, System.Threading -CompilerOptions '-nowarn:CS1701' -TypeDefinition @'
using System;
using System.Data;
using System.Management.Automation;
using System.Threading;
using Npgsql;

public static class RawRead
{
    /// <summary>Every value read with its typed getter, nothing kept: the floor for any client that makes rows.</summary>
    public static long Run(string connectionString, string query)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(query, connection);
        using var reader = command.ExecuteReader();
        long rows = 0;
        while (reader.Read())
        {
            reader.GetInt32(0);
            reader.GetString(1);
            reader.GetFieldValue<DateTimeOffset>(2);
            reader.GetDecimal(3);
            reader.GetBoolean(4);
            rows++;
        }
        return rows;
    }
}

/// <summary>The DataTable style: load the whole result, then write its DataRows.</summary>
[Cmdlet("Invoke", "DataTableQuery")]
public sealed class InvokeDataTableQueryCommand : PSCmdlet
{
    [Parameter(Mandatory = true)] public string ConnectionString { get; set; }
    [Parameter(Mandatory = true)] public string Query { get; set; }

    protected override void ProcessRecord()
    {
        var table = new DataTable();
        using (var connection = new NpgsqlConnection(ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand(Query, connection);
            using var reader = command.ExecuteReader();
            table.Load(reader);
        }
        foreach (DataRow row in table.Rows) WriteObject(row);
    }
}

/// <summary>PowerShell's own cost per object: as many small ready-made objects as the query has rows, written in
/// batches like Invoke-LakebaseQuery writes rows, with no database at all. The floor for any cmdlet that writes one
/// object per row into the same pipeline.</summary>
[Cmdlet("Write", "ReadyObject")]
public sealed class WriteReadyObjectCommand : PSCmdlet
{
    [Parameter(Mandatory = true)] public int Count { get; set; }

    protected override void ProcessRecord()
    {
        var batch = new object[512];
        for (var written = 0; written < Count; written += batch.Length)
        {
            var size = Math.Min(batch.Length, Count - written);
            if (size < batch.Length) batch = new object[size];
            for (var i = 0; i < size; i++) batch[i] = new ReadyObject { Id = written + i };
            WriteObject(batch, enumerateCollection: true);
        }
    }
}

public sealed class ReadyObject { public int Id { get; set; } }

/// <summary>The managed heap's peak growth while it lives, sampled every 10 ms.</summary>
public sealed class HeapPeak : IDisposable
{
    private readonly long _start;
    private readonly Timer _timer;
    private long _peak;

    public HeapPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _start = _peak = GC.GetTotalMemory(false);
        _timer = new Timer(_ => Sample(), null, 0, 10);
    }

    public double GrowthMiB { get { Sample(); return (Interlocked.Read(ref _peak) - _start) / 1048576.0; } }

    private void Sample()
    {
        var now = GC.GetTotalMemory(false);
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen) { }
    }

    public void Dispose() => _timer.Dispose();
}
'@
Import-Module ([RawRead].Assembly)

function Measure-Run([scriptblock] $Run, [int] $Expected, [int] $Times = 1) {
    $best = $null
    foreach ($i in 1..$Times) {
        $heap = [HeapPeak]::new()
        $process = [Diagnostics.Process]::GetCurrentProcess()
        $cpu = $process.TotalProcessorTime
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $count = & $Run
        $process.Refresh()
        $result = [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; CpuSeconds = ($process.TotalProcessorTime - $cpu).TotalSeconds; HeapMiB = $heap.GrowthMiB }
        $heap.Dispose()
        if ($count -ne $Expected) { throw "Expected $Expected rows, got $count." }
        if (-not $best -or $result.Seconds -lt $best.Seconds) { $best = $result }
    }
    $best
}

try {
    Start-LakebaseLocal -StateRoot $root -Port 0 | Out-Null
    Connect-Lakebase -Local -StateRoot $root | Out-Null
    New-LakebaseProject bench -NoSuspension | Out-Null
    $target = @{ ProjectId = 'bench'; BranchId = 'production' }
    Invoke-LakebaseQuery @target -As NonQuery -Query @"
CREATE TABLE bench_rows AS
SELECT g AS id, md5(g::text) AS label, timestamptz '2024-01-01' + g * interval '1 second' AS at,
       round(g * 1.37, 2) AS amount, g % 3 = 0 AS flag
FROM generate_series(1, $Rows) g
"@ | Out-Null
    Invoke-LakebaseQuery @target -As NonQuery -Query 'VACUUM ANALYZE bench_rows' | Out-Null
    $query = 'SELECT id, label, at, amount, flag FROM bench_rows'
    $credential = Get-LakebaseCredential @target
    $npgsql = "Host=$($credential.Host);Port=$($credential.Port);Database=$($credential.Database);Username=$($credential.UserName);" +
        "Password=$($credential.Token | ConvertFrom-SecureString -AsPlainText);SSL Mode=VerifyFull;Root Certificate=$(Join-Path $root 'tls/ca.pem')"
    $libpq = Get-LakebaseCredential @target -AsConnectionString

    $tenth = [int]($Rows / 10)
    [RawRead]::Run($npgsql, $query) | Out-Null   # warm the table into shared buffers, and the JIT
    $raw = Measure-Run { [RawRead]::Run($npgsql, $query) } $Rows $Repeat
    $floor = Measure-Run { (Write-ReadyObject -Count $Rows | Measure-Object).Count } $Rows $Repeat
    $module = Measure-Run { (Invoke-LakebaseQuery @target $query | Measure-Object).Count } $Rows $Repeat
    $moduleTenth = Measure-Run { (Invoke-LakebaseQuery @target "$query LIMIT $tenth" | Measure-Object).Count } $tenth $Repeat
    $dataTable = Measure-Run { (Invoke-DataTableQuery -ConnectionString $npgsql -Query $query | Measure-Object).Count } $Rows
    $csv = Measure-Run { (& "$bin/psql" $libpq --csv -c $query | ConvertFrom-Csv | Measure-Object).Count } $Rows

    'Rows into the pipeline: {0:N0} rows x 5 columns (int, text, timestamptz, numeric, bool) through the proxy; best of {1} where repeated' -f $Rows, $Repeat
    'This process''s CPU time is shown too: on a busy machine wall time also measures the neighbours.'
    $line = '  {0,-40} {1,7:N2} s {2,10:N0} rows/s  cpu {3,6:N2} s  heap peak +{4,4:N0} MiB  {5}'
    function Write-Run([string] $Name, $Run, [int] $Count, [string] $Note) { $line -f $Name, $Run.Seconds, ($Count / $Run.Seconds), $Run.CpuSeconds, $Run.HeapMiB, $Note }
    Write-Run 'raw Npgsql read loop (no objects)' $raw $Rows ''
    Write-Run 'Invoke-LakebaseQuery | Measure-Object' $module $Rows ('{0:N2}x raw (target <= 1.3)' -f ($module.Seconds / $raw.Seconds))
    Write-Run '  PowerShell alone (objects, no database)' $floor $Rows ('{0:N2}x raw: the floor for any cmdlet writing an object per row' -f ($floor.Seconds / $raw.Seconds))
    Write-Run "  same, $tenth rows" $moduleTenth $tenth '(memory flat: heap peak independent of the row count)'
    Write-Run 'DataTable rows (Invoke-Sqlcmd style)' $dataTable $Rows ('{0:N2}x raw; module {1:N1}x faster (target >= 3; the floor {2:N1}x)' -f ($dataTable.Seconds / $raw.Seconds), ($dataTable.Seconds / $module.Seconds), ($dataTable.Seconds / $floor.Seconds))
    Write-Run 'psql --csv | ConvertFrom-Csv' $csv $Rows ('{0:N2}x raw; module {1:N1}x faster (target >= 8; the floor {2:N1}x)' -f ($csv.Seconds / $raw.Seconds), ($csv.Seconds / $module.Seconds), ($csv.Seconds / $floor.Seconds))
    '  process peak working set {0:N0} MiB' -f ([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB)
}
finally {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
