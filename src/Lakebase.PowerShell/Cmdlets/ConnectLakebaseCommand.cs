using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Security;
using Lakebase.Client;
using Lakebase.Client.Local;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Connects to a Databricks workspace (unified auth: parameters, then DATABRICKS_* variables, then ~/.databrickscfg)
/// or, with -Local, to Lakebase Local on this machine (starting it when it is not running). The new context becomes
/// the session default unless -NoDefault is given.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "Lakebase", DefaultParameterSetName = WorkspaceSet)]
[OutputType(typeof(LakebaseContext))]
public sealed class ConnectLakebaseCommand : LakebaseCmdlet
{
    private const string WorkspaceSet = "Workspace";
    private const string LocalSet = "Local";

    [Parameter(ParameterSetName = WorkspaceSet, Position = 0)]
    [Alias("Host")]
    public string? WorkspaceUrl { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public SecureString? Token { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public string? ClientId { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public SecureString? ClientSecret { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public string? AzureTenantId { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public string? AzureClientId { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public SecureString? AzureClientSecret { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    public string? Profile { get; set; }

    [Parameter(ParameterSetName = WorkspaceSet)]
    [ValidateSet("pat", "oauth-m2m", "azure-client-secret", "azure-cli", "databricks-cli")]
    public string? AuthType { get; set; }

    [Parameter(ParameterSetName = LocalSet, Mandatory = true)]
    public SwitchParameter Local { get; set; }

    [Parameter(ParameterSetName = LocalSet)]
    public string? StateRoot { get; set; }

    /// <summary>Port for a Lakebase Local that has to be started (0 picks a free one).</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = 8470;

    /// <summary>The folder holding {major}/bin/postgres for a Lakebase Local that has to be started.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? PostgresRoot { get; set; }

    /// <summary>The PostgreSQL majors a Lakebase Local that has to be started needs.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateRange(10, 99)]
    public int[]? PgVersion { get; set; }

    /// <summary>Fails instead of downloading a missing PostgreSQL major.</summary>
    [Parameter(ParameterSetName = LocalSet)]
    public SwitchParameter Offline { get; set; }

    /// <summary>Outputs the context without making it the session default.</summary>
    [Parameter]
    public SwitchParameter NoDefault { get; set; }

    protected override object? Target => WorkspaceUrl ?? StateRoot;

    protected override void ProcessItem()
    {
        var context = Local ? ConnectLocal() : ConnectWorkspace();
        if (!NoDefault) ContextStore.Current = context;
        WriteObject(context);
    }

    private LakebaseContext ConnectLocal()
    {
        var root = LocalServer.ResolveRoot(StateRoot);
        var server = Await(async cancellationToken => await LocalServer.FindRunningAsync(root, cancellationToken).ConfigureAwait(false)
            ?? await LocalServer.StartAsync(LocalServerStart.Options(root, Port, PostgresRoot, PgVersion, Offline), LocalServerStart.Reporter(this), cancellationToken)
                .ConfigureAwait(false));
        WriteVerbose($"Lakebase Local at {server.ApiUrl} (state root {root}).");
        var client = Await(cancellationToken => LakebaseClient.ConnectAsync(LocalServer.CreateConfig(server), cancellationToken));
        return new LakebaseContext(client, isLocal: true, root);
    }

    private LakebaseContext ConnectWorkspace()
    {
        var environment = new Dictionary<string, string?>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) environment[(string)entry.Key] = entry.Value as string;
        var config = LakebaseConfig.Resolve(new LakebaseConfig
        {
            Host = WorkspaceUrl,
            Token = Plain(Token),
            ClientId = ClientId,
            ClientSecret = Plain(ClientSecret),
            AzureTenantId = AzureTenantId,
            AzureClientId = AzureClientId,
            AzureClientSecret = Plain(AzureClientSecret),
            Profile = Profile,
            AuthType = AuthType,
        }, environment, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        WriteVerbose($"Connecting with {config}.");
        var client = Await(cancellationToken => LakebaseClient.ConnectAsync(config, cancellationToken));
        return new LakebaseContext(client, isLocal: false, null);
    }

    private static string? Plain(SecureString? secret) => secret is null ? null : new NetworkCredential(string.Empty, secret).Password;
}
