using System.Collections;
using System.Data;
using System.Management.Automation;
using System.Net;
using System.Text;
using Lakebase.Client.Sql;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Output;
using Lakebase.PowerShell.Sessions;
using Npgsql;
using Lakebase.PowerShell.Binding;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Runs SQL on an endpoint (or a branch's read-write endpoint, or a connection string) and streams the rows to the
/// pipeline as they arrive, as objects of a class made for the result's columns (typed properties, NULL as $null).
/// Parameters are sent as parameters (@name), never pasted into the text. Connections
/// are pooled, their credential refreshes itself, and a sleeping compute is woken and waited for.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LakebaseQuery", DefaultParameterSetName = "Lakebase")]
[OutputType(typeof(object), typeof(Hashtable), typeof(DataTable), typeof(int))]
public sealed class InvokeLakebaseQueryCommand : LakebaseCmdlet
{
    private const int Batch = 512;
    /// <summary>SQL arrives on the pipeline (the target is named by parameters); piped objects name the target otherwise.</summary>
    private const string PipedSql = "PipedSql";
    private readonly StringBuilder _piped = new();

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    public string? ProjectId { get; set; }

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    public string? BranchId { get; set; }

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    public string? EndpointId { get; set; }

    [Parameter(ParameterSetName = "ConnectionString", Mandatory = true)]
    public string? ConnectionString { get; set; }

    /// <summary>SQL text; piped strings are joined and run as one script.</summary>
    [Parameter(Position = 0, ParameterSetName = "Lakebase")]
    [Parameter(Position = 0, ParameterSetName = "ConnectionString")]
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PipedSql)]
    public string? Query { get; set; }

    /// <summary>A script file (a migration) with any number of statements.</summary>
    [Parameter]
    public string? InputFile { get; set; }

    [Parameter]
    public Hashtable? Parameters { get; set; }

    [Parameter(ParameterSetName = "Lakebase")]
    [Parameter(ParameterSetName = PipedSql)]
    public string? Database { get; set; }

    [Parameter]
    [ValidateSet("Row", "Hashtable", "DataTable", "Scalar", "NonQuery")]
    public string As { get; set; } = "Row";

    /// <summary>json and jsonb columns as objects (as ConvertFrom-Json makes them) instead of their text.</summary>
    [Parameter]
    public SwitchParameter ParseJson { get; set; }

    /// <summary>Runs everything in one transaction: all of it happens, or none of it.</summary>
    [Parameter]
    public SwitchParameter Transaction { get; set; }

    /// <summary>Uses the branch's read-only endpoint.</summary>
    [Parameter(ParameterSetName = "Lakebase")]
    [Parameter(ParameterSetName = PipedSql)]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>Statement timeout in seconds (0 = none).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Timeout { get; set; }

    /// <summary>An IP address (and port: 10.0.0.5 or 10.0.0.5:6543) to connect to instead of the endpoint's host, as
    /// libpq's hostaddr: for a host name that does not resolve here, or a proxy's shared port. The endpoint is still
    /// named, by TLS SNI and options=endpoint=&lt;uid&gt;, and its certificate still checked.</summary>
    [Parameter(ParameterSetName = "Lakebase")]
    [Parameter(ParameterSetName = PipedSql)]
    public IPEndPoint? HostAddress { get; set; }

    /// <summary>Lifetime of the credentials the connection uses.</summary>
    [Parameter(ParameterSetName = "Lakebase")]
    [Parameter(ParameterSetName = PipedSql)]
    [DurationTransformation]
    public TimeSpan? CredentialTtl { get; set; }

    protected override object? Target => EndpointId ?? BranchId ?? "connection string";

    protected override void ProcessItem()
    {
        if (ParameterSetName == PipedSql && MyInvocation.ExpectingInput)
        {
            _piped.AppendLine(Query);
            return;
        }
        Run(Query ?? (InputFile is null ? null : File.ReadAllText(GetUnresolvedProviderPathFromPSPath(InputFile))));
    }

    protected override void EndProcessing()
    {
        if (_piped.Length > 0) Guard(() => Run(_piped.ToString()));
    }

    private void Run(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql)) throw new ArgumentException("Give the SQL with -Query, -InputFile or the pipeline.");
        var context = ConnectionString is null ? ResolveContext() : null;
        var progressId = Math.Abs(GetHashCode());
        var waking = new WakeReporter(this, progressId);
        Await(async cancellationToken =>
        {
            await using var connection = context is null
                ? await DatabaseSessions.OpenDirectAsync(ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await OpenAsync(context, waking, cancellationToken).ConfigureAwait(false);
            await using var transaction = Transaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = Timeout };
            foreach (DictionaryEntry parameter in Parameters ?? [])
                command.Parameters.AddWithValue(parameter.Key.ToString()!, parameter.Value is PSObject wrapped ? wrapped.BaseObject : parameter.Value ?? DBNull.Value);
            await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
            if (transaction is not null) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        });
        if (waking.Shown) WriteProgress(new ProgressRecord(progressId, "Waking the compute", "Connected") { RecordType = ProgressRecordType.Completed });
    }

    private async Task<NpgsqlConnection> OpenAsync(LakebaseContext context, WakeReporter waking, CancellationToken cancellationToken)
    {
        var endpoint = await EndpointResolver.ResolveAsync(context.Client, ProjectId, BranchId, EndpointId, ReadOnly, cancellationToken).ConfigureAwait(false);
        return await context.Sessions.OpenAsync(DatabaseTarget.For(endpoint, Database, HostAddress), CredentialTtl, waking, cancellationToken).ConfigureAwait(false);
    }

    private async Task ExecuteAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        switch (As)
        {
            case "NonQuery":
                var affected = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                Post(() => WriteObject(affected));
                return;
            case "Scalar":
                var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                Post(() => WriteObject(value is DBNull ? null : value));
                return;
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        do
        {
            if (reader.FieldCount == 0) continue;
            if (As == "DataTable")
            {
                var table = new DataTable();
                table.Load(reader);
                Post(() => WriteObject(table, enumerateCollection: false));
                if (reader.IsClosed) return;
                continue;
            }
            var rows = RowReader.For(reader, ParseJson ? JsonValues.Parse : null);
            var batch = new List<object>(Batch);
            while (true)
            {
                var reading = reader.ReadAsync(cancellationToken);
                // The next row has to come from the network: hand over the rows that came so far rather than hold them
                // (and end both before the reader is touched again, even when one fails).
                if (!reading.IsCompleted && batch.Count > 0)
                {
                    var writing = WriteBatchAsync(batch, cancellationToken);
                    await Task.WhenAll(reading, writing).ConfigureAwait(false);
                    batch = await writing.ConfigureAwait(false);
                }
                if (!await reading.ConfigureAwait(false)) break;
                batch.Add(As == "Hashtable" ? ToHashtable(reader, rows) : rows.Read(reader));
                if (batch.Count == Batch) batch = await WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            if (batch.Count > 0) await WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        } while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Hands a batch of rows to the pipeline thread, waiting while it is behind (rows stream, memory stays
    /// flat whatever the size of the result); returns the list for the next batch.</summary>
    private async Task<List<object>> WriteBatchAsync(List<object> rows, CancellationToken cancellationToken)
    {
        await PostAsync(() => WriteObject(rows, enumerateCollection: true), cancellationToken).ConfigureAwait(false);
        return new List<object>(Batch);
    }

    private static Hashtable ToHashtable(NpgsqlDataReader reader, RowReader rows)
    {
        var row = new Hashtable(rows.Columns.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rows.Columns.Count; i++) row[rows.Columns[i].Name] = rows.ReadValue(reader, i);
        return row;
    }

    /// <summary>Shows that a sleeping compute is being woken (retries of the first connection).</summary>
    private sealed class WakeReporter(InvokeLakebaseQueryCommand cmdlet, int id) : IProgress<WakeProgress>
    {
        public bool Shown { get; private set; }

        public void Report(WakeProgress value)
        {
            Shown = true;
            cmdlet.Post(() => cmdlet.WriteProgress(new ProgressRecord(id, "Waking the compute", $"{value.Host}: attempt {value.Attempt} ({value.Reason.Message})")));
        }
    }
}
