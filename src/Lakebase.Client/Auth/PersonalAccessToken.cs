namespace Lakebase.Client.Auth;

/// <summary>pat: a personal access token sent as a bearer token.</summary>
internal sealed class PersonalAccessToken(string token) : ICredentialStrategy
{
    private readonly IReadOnlyDictionary<string, string> _headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };

    public string AuthType => "pat";

    public ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_headers);
}
