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
using Lakebase.PowerShell.Completion;

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
    /// <summary>SQL arrives on the pipeline (the target is named by parameters); piped objects name the target otherwise.</summary>
    private const string PipedSql = "PipedSql";
    private readonly StringBuilder _piped = new();

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string? BranchId { get; set; }

    [Parameter(ParameterSetName = "Lakebase", ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PipedSql)]
    [ArgumentCompleter(typeof(EndpointIdCompleter))]
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

    /// <remarks>Text, not <see cref="QueryResultShape"/>: a field of an enum from deps/ would load Lakebase.Client when
    /// PowerShell lists the module's types at import, before the module's resolver is registered.</remarks>
    [Parameter]
    [ValidateSet(nameof(QueryResultShape.Row), nameof(QueryResultShape.Hashtable), nameof(QueryResultShape.DataTable),
        nameof(QueryResultShape.Scalar), nameof(QueryResultShape.NonQuery))]
    public string As { get; set; } = nameof(QueryResultShape.Row);

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

    /// <summary>Connects through the endpoint's pooled host (PgBouncer in transaction mode).</summary>
    [Parameter(ParameterSetName = "Lakebase")]
    [Parameter(ParameterSetName = PipedSql)]
    public SwitchParameter Pooled { get; set; }

    /// <summary>Statement timeout: a TimeSpan or a duration such as 30s or 5m (zero: none).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan Timeout { get; set; }

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
        if (Timeout < TimeSpan.Zero) throw new InvalidParametersException($"-Timeout {Timeout} is negative; give a duration such as 30s, or 0 for none.", nameof(Timeout));
        var context = ConnectionString is null ? ResolveContext() : null;
        var progressId = Math.Abs(GetHashCode());
        var waking = new WakeReporter(this, progressId);
        var script = new SqlScript(sql)
        {
            Parameters = (Parameters ?? []).Cast<DictionaryEntry>().ToDictionary(
                parameter => parameter.Key.ToString()!, parameter => parameter.Value is PSObject wrapped ? wrapped.BaseObject : parameter.Value),
            InTransaction = Transaction,
            Timeout = Timeout,
            Shape = Enum.Parse<QueryResultShape>(As, ignoreCase: true),
            Json = ParseJson ? JsonValues.Parse : null,
        };
        Await(async cancellationToken =>
        {
            await using var connection = context is null
                ? await DatabaseSessions.OpenDirectAsync(ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await OpenAsync(context, waking, cancellationToken).ConfigureAwait(false);
            // Each batch waits for room on the pipeline thread: rows stream, memory stays flat whatever the result's size.
            await script.RunAsync(connection, (results, token) => PostAsync(() => WriteObject(results, enumerateCollection: true), token),
                cancellationToken).ConfigureAwait(false);
        });
        if (waking.Shown) WriteProgress(new ProgressRecord(progressId, "Waking the compute", "Connected") { RecordType = ProgressRecordType.Completed });
    }

    private async Task<NpgsqlConnection> OpenAsync(LakebaseContext context, WakeReporter waking, CancellationToken cancellationToken)
    {
        var endpoint = await EndpointResolver.ResolveAsync(context.Client, ProjectId, BranchId, EndpointId, ReadOnly, cancellationToken).ConfigureAwait(false);
        return await context.Sessions.OpenAsync(DatabaseTarget.For(endpoint, Database, HostAddress, Pooled), CredentialTtl, waking, cancellationToken).ConfigureAwait(false);
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
