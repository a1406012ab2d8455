using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lakebase.Client.Auth;

/// <summary>
/// oauth-m2m: a Databricks service principal's client id and secret, exchanged for a workspace OAuth token with
/// the client-credentials grant (scope all-apis). The token endpoint is discovered once from
/// {host}/oidc/.well-known/oauth-authorization-server; tokens are cached until about a minute before they expire.
/// </summary>
internal sealed class OAuthM2M : BearerStrategy
{
    private readonly HttpClient _http;
    private readonly string _host;
    private readonly string _clientId;
    private readonly string _clientSecret;
    private readonly TimeProvider _clock;
    private readonly CachedToken _token;
    private string? _tokenEndpoint;

    public OAuthM2M(HttpClient http, string host, string clientId, string clientSecret, TimeProvider clock)
    {
        _http = http;
        _host = host.TrimEnd('/');
        _clientId = clientId;
        _clientSecret = clientSecret;
        _clock = clock;
        _token = new CachedToken(FetchAsync, clock);
    }

    public override string AuthType => "oauth-m2m";

    public override ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => _token.GetAsync(cancellationToken);

    public override string ToString() => $"oauth-m2m (client_id={_clientId})";

    private async Task<AccessToken> FetchAsync(CancellationToken cancellationToken)
    {
        if (_tokenEndpoint is null)
        {
            var discoveryUrl = _host + "/oidc/.well-known/oauth-authorization-server";
            var discovery = await TokenHttp.SendAsync(_http, () => new HttpRequestMessage(HttpMethod.Get, discoveryUrl), "OAuth discovery", cancellationToken)
                .ConfigureAwait(false);
            _tokenEndpoint = discovery.TryGetProperty("token_endpoint", out var endpoint) && endpoint.GetString() is { Length: > 0 } url
                ? url
                : throw new LakebaseConfigException($"{discoveryUrl} names no token_endpoint: OAuth is not available on {_host}.");
        }
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_clientId}:{_clientSecret}"));
        var tokenEndpoint = _tokenEndpoint;
        var response = await TokenHttp.SendAsync(_http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "all-apis" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            return request;
        }, "OAuth token request", cancellationToken).ConfigureAwait(false);
        return TokenHttp.ReadToken(response, _clock);
    }
}

/// <summary>The small HTTP exchanges of OAuth: bounded in time, errors as LakebaseConfigException without secrets.</summary>
internal static class TokenHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<JsonElement> SendAsync(HttpClient http, Func<HttpRequestMessage> create, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var request = create();
        var url = request.RequestUri!.GetLeftPart(UriPartial.Path);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} to {url} did not answer within {Timeout.TotalSeconds:0} s.");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            JsonElement? json = null;
            try
            {
                using var document = JsonDocument.Parse(body);
                json = document.RootElement.Clone();
            }
            catch (JsonException)
            {
            }
            if (!response.IsSuccessStatusCode || json is not { ValueKind: JsonValueKind.Object })
            {
                var reason = json is { ValueKind: JsonValueKind.Object } error
                    ? string.Join(": ", new[] { Property(error, "error") ?? Property(error, "errorCode"), Property(error, "error_description") ?? Property(error, "errorSummary") }
                        .Where(x => !string.IsNullOrEmpty(x)))
                    : response.ReasonPhrase;
                throw new LakebaseConfigException($"{what} to {url} failed (HTTP {(int)response.StatusCode}): {reason}");
            }
            return json.Value;
        }
    }

    /// <summary>access_token plus expires_in (a number or a numeric string, seconds).</summary>
    public static AccessToken ReadToken(JsonElement response, TimeProvider clock)
    {
        var token = Property(response, "access_token") ?? throw new LakebaseConfigException("The token response has no access_token.");
        if (!response.TryGetProperty("expires_in", out var expiresIn))
            throw new LakebaseConfigException("The token response has no expires_in.");
        var seconds = expiresIn.ValueKind == JsonValueKind.String
            ? double.Parse(expiresIn.GetString()!, CultureInfo.InvariantCulture)
            : expiresIn.GetDouble();
        return new AccessToken(token, clock.GetUtcNow().AddSeconds(seconds));
    }

    private static string? Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
