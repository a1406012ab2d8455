using System.Management.Automation;
using System.Net;
using Lakebase.Client.Sql;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Sessions;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Gets a database credential for an endpoint (or a branch's read-write endpoint): a short-lived token used as the
/// Postgres password, as a SecureString in a LakebaseCredential; -AsPlainText emits the token alone as text, and
/// -AsConnectionString a libpq connection string (with the token as password) for tools like psql.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LakebaseCredential", DefaultParameterSetName = "Object")]
[OutputType(typeof(LakebaseCredential), typeof(string))]
public sealed class GetLakebaseCredentialCommand : BranchChildCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(EndpointIdCompleter))]
    public string? EndpointId { get; set; }

    [Parameter]
    public string? Database { get; set; }

    /// <summary>Credential lifetime (5 to 60 minutes); the default is one hour.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? Ttl { get; set; }

    /// <summary>When the credential expires (5 to 60 minutes ahead), instead of -Ttl.</summary>
    [Parameter]
    public DateTimeOffset? ExpireTime { get; set; }

    /// <summary>Scopes the credential to reading these Unity Catalog tables (catalog.schema.table) and nothing else.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ReadOnlyTable { get; set; }

    /// <summary>(preview) Logs in as this Databricks group's Postgres role, of which you must be a member.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GroupName { get; set; }

    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>For the endpoint's pooled host (PgBouncer in transaction mode) instead of its host.</summary>
    [Parameter]
    public SwitchParameter Pooled { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "PlainText")]
    public SwitchParameter AsPlainText { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ConnectionString")]
    public SwitchParameter AsConnectionString { get; set; }

    /// <summary>An IP address (and port) for the connection string to connect to instead of the endpoint's host
    /// (as hostaddr), still naming the endpoint; see Invoke-LakebaseQuery -HostAddress.</summary>
    [Parameter(ParameterSetName = "ConnectionString")]
    public IPEndPoint? HostAddress { get; set; }

    protected override object? Target => EndpointId ?? BranchId;

    protected override void ProcessItem()
    {
        if (Ttl is not null && ExpireTime is not null) throw new InvalidParametersException("Use either -Ttl or -ExpireTime, not both.");
        var request = new DatabaseCredentialRequest
        {
            Ttl = Ttl,
            ExpireTime = ExpireTime,
            Claims = ReadOnlyTable is null ? null :
                [new DatabaseCredentialClaim { PermissionSet = PermissionSet.ReadOnly, Resources = [.. ReadOnlyTable.Select(table => new DatabaseCredentialResource { TableName = table })] }],
            GroupName = GroupName,
        };
        var context = ResolveContext();
        var client = context.Client;
        var (target, credential) = Await(async cancellationToken =>
        {
            var endpoint = await EndpointResolver.ResolveAsync(client, ProjectId, BranchId, EndpointId, ReadOnly, cancellationToken).ConfigureAwait(false);
            request.Endpoint = endpoint.Name;
            var credential = await client.GenerateDatabaseCredentialAsync(request, cancellationToken).ConfigureAwait(false);
            return (DatabaseTarget.For(endpoint, Database, HostAddress, Pooled), credential);
        });
        if (AsConnectionString)
        {
            WriteObject(context.Sessions.LibpqConnectionString(target, credential.Token!, GroupName));
            return;
        }
        if (AsPlainText)
        {
            WriteObject(credential.Token);
            return;
        }
        WriteObject(new LakebaseCredential(SecureStrings.From(credential.Token!), credential.ExpireTime,
            GroupName ?? client.UserName, target.Host, target.Port, target.Database, target.EndpointName));
    }
}
