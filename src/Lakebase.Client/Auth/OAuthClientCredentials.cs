using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lakebase.Client.Auth;

/// <summary>
/// oauth-m2m and azure-client-secret: the OAuth client-credentials grant against a token endpoint, cached until
/// shortly before expiry. Databricks discovers its endpoint from {host}/oidc/.well-known/oauth-authorization-server
/// and authenticates with HTTP Basic; Azure AD's v1 endpoint takes the credentials in the form and a resource.
/// </summary>
internal sealed class OAuthClientCredentials : ICredentialStrategy
{
    public const string AzureDatabricksResource = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
    private const string AzureManagementResource = "https://management.core.windows.net/";

    private readonly HttpClient _http;
    private readonly CachedToken _token;
    private readonly CachedToken? _managementToken;
    private readonly string? _workspaceResourceId;

    private OAuthClientCredentials(string authType, HttpClient http, Func<CancellationToken, Task<AccessToken>> fetch,
        Func<CancellationToken, Task<AccessToken>>? fetchManagement, string? workspaceResourceId, TimeProvider clock)
    {
        AuthType = authType;
        _http = http;
        _token = new CachedToken(fetch, clock);
        _managementToken = fetchManagement is null ? null : new CachedToken(fetchManagement, clock);
        _workspaceResourceId = workspaceResourceId;
    }

    public string AuthType { get; }

    public static OAuthClientCredentials Databricks(HttpClient http, string host, string clientId, string clientSecret, TimeProvider clock) =>
        new("oauth-m2m", http, async cancellationToken =>
        {
            var discovery = await GetJsonAsync(http, new HttpRequestMessage(HttpMethod.Get, host + "/oidc/.well-known/oauth-authorization-server"), cancellationToken)
                .ConfigureAwait(false);
            var tokenEndpoint = discovery.GetProperty("token_endpoint").GetString()!;
            var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "all-apis" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
            return ReadToken(await GetJsonAsync(http, request, cancellationToken).ConfigureAwait(false), clock);
        }, null, null, clock);

    public static OAuthClientCredentials Azure(HttpClient http, string tenantId, string clientId, string clientSecret, string? workspaceResourceId,
        TimeProvider clock)
    {
        Func<CancellationToken, Task<AccessToken>> For(string resource) => async cancellationToken =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"https://login.microsoftonline.com/{tenantId}/oauth2/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["resource"] = resource,
                    ["client_id"] = clientId,
                    ["client_secret"] = clientSecret,
                }),
            };
            return ReadToken(await GetJsonAsync(http, request, cancellationToken).ConfigureAwait(false), clock);
        };
        return new OAuthClientCredentials("azure-client-secret", http, For(AzureDatabricksResource), For(AzureManagementResource), workspaceResourceId, clock);
    }

    public async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + await _token.GetAsync(cancellationToken).ConfigureAwait(false) };
        if (_managementToken is not null)
            headers["X-Databricks-Azure-SP-Management-Token"] = await _managementToken.GetAsync(cancellationToken).ConfigureAwait(false);
        if (_workspaceResourceId is not null) headers["X-Databricks-Azure-Workspace-Resource-Id"] = _workspaceResourceId;
        return headers;
    }

    private static AccessToken ReadToken(JsonElement response, TimeProvider clock)
    {
        var token = response.GetProperty("access_token").GetString()!;
        var lifetime = response.GetProperty("expires_in") is { ValueKind: JsonValueKind.String } text
            ? double.Parse(text.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : response.GetProperty("expires_in").GetDouble();
        return new AccessToken(token, clock.GetUtcNow().AddSeconds(lifetime));
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false))
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var reason = body;
                try
                {
                    using var error = JsonDocument.Parse(body);
                    reason = error.RootElement.TryGetProperty("error_description", out var description) ? description.GetString()! : body;
                }
                catch (JsonException) { }
                throw new LakebaseConfigException($"OAuth token request to {request.RequestUri!.GetLeftPart(UriPartial.Path)} failed ({(int)response.StatusCode}): {reason}");
            }
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
    }
}
