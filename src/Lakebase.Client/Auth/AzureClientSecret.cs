namespace Lakebase.Client.Auth;

/// <summary>The Azure cloud a workspace lives in, chosen by host suffix (§5.5).</summary>
internal sealed record AzureEnvironment(string Name, string ActiveDirectoryEndpoint, string ServiceManagementEndpoint)
{
    /// <summary>The Azure Databricks AAD application (resource) id.</summary>
    public const string DatabricksResource = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

    public static readonly AzureEnvironment Public = new("PUBLIC", "https://login.microsoftonline.com/", "https://management.core.windows.net/");
    public static readonly AzureEnvironment UsGovernment = new("USGOVERNMENT", "https://login.microsoftonline.us/", "https://management.core.usgovcloudapi.net/");
    public static readonly AzureEnvironment China = new("CHINA", "https://login.chinacloudapi.cn/", "https://management.core.chinacloudapi.cn/");

    public static bool IsAzureHost(string? host) => host is not null && ForHost(host) is not null;

    public static AzureEnvironment? ForHost(string host)
    {
        var name = Uri.TryCreate(host, UriKind.Absolute, out var uri) ? uri.Host : host;
        if (name.EndsWith(".azuredatabricks.net", StringComparison.OrdinalIgnoreCase)) return Public;
        if (name.EndsWith(".databricks.azure.us", StringComparison.OrdinalIgnoreCase)) return UsGovernment;
        if (name.EndsWith(".databricks.azure.cn", StringComparison.OrdinalIgnoreCase)) return China;
        return null;
    }
}

/// <summary>
/// azure-client-secret: an Entra ID (AAD) service principal. Two client-credentials tokens from the AAD v1 endpoint
/// {aad}{tenant}/oauth2/token, one for the Azure Databricks resource (Authorization) and one for Azure management
/// (X-Databricks-Azure-SP-Management-Token). Without a tenant id, the tenant is discovered from {host}/aad/auth.
/// </summary>
internal sealed class AzureClientSecret : ICredentialStrategy
{
    private readonly HttpClient _http;
    private readonly string _host;
    private readonly string _clientId;
    private readonly string _clientSecret;
    private readonly string? _workspaceResourceId;
    private readonly AzureEnvironment _environment;
    private readonly TimeProvider _clock;
    private readonly CachedToken _token;
    private readonly CachedToken _managementToken;
    private string? _tenantId;

    public AzureClientSecret(HttpClient http, string host, string? tenantId, string clientId, string clientSecret, string? workspaceResourceId, TimeProvider clock)
    {
        _http = http;
        _host = host.TrimEnd('/');
        _tenantId = tenantId;
        _clientId = clientId;
        _clientSecret = clientSecret;
        _workspaceResourceId = workspaceResourceId;
        _environment = AzureEnvironment.ForHost(host) ?? AzureEnvironment.Public;
        _clock = clock;
        _token = new CachedToken(ct => FetchAsync(AzureEnvironment.DatabricksResource, ct), clock);
        _managementToken = new CachedToken(ct => FetchAsync(_environment.ServiceManagementEndpoint, ct), clock);
    }

    public string AuthType => "azure-client-secret";

    public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => _token.GetAsync(cancellationToken);

    public async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer " + await _token.GetAsync(cancellationToken).ConfigureAwait(false),
            ["X-Databricks-Azure-SP-Management-Token"] = await _managementToken.GetAsync(cancellationToken).ConfigureAwait(false),
        };
        if (_workspaceResourceId is not null) headers["X-Databricks-Azure-Workspace-Resource-Id"] = _workspaceResourceId;
        return headers;
    }

    public override string ToString() => $"azure-client-secret (azure_client_id={_clientId})";

    private async Task<AccessToken> FetchAsync(string resource, CancellationToken cancellationToken)
    {
        var tenant = _tenantId ??= await DiscoverTenantAsync(cancellationToken).ConfigureAwait(false);
        var url = $"{_environment.ActiveDirectoryEndpoint}{tenant}/oauth2/token";
        var response = await TokenHttp.SendAsync(_http, () => new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["resource"] = resource,
                ["client_id"] = _clientId,
                ["client_secret"] = _clientSecret,
            }),
        }, "Azure AD token request", cancellationToken).ConfigureAwait(false);
        return TokenHttp.ReadToken(response, _clock);
    }

    /// <summary>GET {host}/aad/auth answers with a redirect to {aad}{tenant}/oauth2/authorize; the tenant is its first path segment.</summary>
    private async Task<string> DiscoverTenantAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TokenHttp.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, _host + "/aad/auth");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        // A client that follows redirects lands on the login page; one that does not sees the Location header.
        var location = (int)response.StatusCode is >= 300 and < 400 ? response.Headers.Location : response.RequestMessage?.RequestUri;
        if (location is { IsAbsoluteUri: true } && location.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries) is [var tenant, ..] &&
            !location.Host.Equals(new Uri(_host).Host, StringComparison.OrdinalIgnoreCase))
            return tenant;
        throw new LakebaseConfigException($"Could not discover the Azure tenant of {_host} (GET /aad/auth answered {(int)response.StatusCode}); set azure_tenant_id (ARM_TENANT_ID).");
    }
}
