namespace Lakebase.Client.Auth;

/// <summary>pat: a personal access token sent as a bearer token.</summary>
internal sealed class PersonalAccessToken(string token) : BearerStrategy
{
    public override string AuthType => "pat";

    public override ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);

    public override string ToString() => "pat";
}
