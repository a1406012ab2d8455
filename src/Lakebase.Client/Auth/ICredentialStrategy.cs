namespace Lakebase.Client.Auth;

/// <summary>One way of getting the Authorization header for API calls; strategies cache and refresh their tokens.</summary>
public interface ICredentialStrategy
{
    /// <summary>The unified-auth name: pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli.</summary>
    string AuthType { get; }

    /// <summary>Headers to add to every API call (Authorization, and Azure's management-token header where needed).</summary>
    ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken);
}

/// <summary>A bearer token and when it stops working.</summary>
internal sealed record AccessToken(string Value, DateTimeOffset ExpiresAt)
{
    /// <summary>Refreshed 40 s before it expires, as the Python SDK does.</summary>
    public bool IsFresh(TimeProvider clock) => clock.GetUtcNow() < ExpiresAt - TimeSpan.FromSeconds(40);
}

/// <summary>Caches a token and fetches a new one when it is about to expire; concurrent callers share one fetch.</summary>
internal sealed class CachedToken(Func<CancellationToken, Task<AccessToken>> fetch, TimeProvider clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessToken? _current;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } token && token.IsFresh(clock)) return token.Value;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is not { } cached || !cached.IsFresh(clock)) _current = await fetch(cancellationToken).ConfigureAwait(false);
            return _current.Value;
        }
        finally
        {
            _gate.Release();
        }
    }
}
