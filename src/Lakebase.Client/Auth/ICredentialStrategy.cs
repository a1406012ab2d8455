namespace Lakebase.Client.Auth;

/// <summary>One way of authenticating API calls; strategies cache and refresh their tokens and are thread-safe.</summary>
public interface ICredentialStrategy
{
    /// <summary>The unified-auth name: pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli.</summary>
    string AuthType { get; }

    /// <summary>The bearer token for the Authorization header (cached; refreshed about a minute before it expires).</summary>
    ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken);

    /// <summary>Headers to add to every API call: Authorization, plus Azure's management-token and resource-id headers where needed.</summary>
    ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken);
}

/// <summary>A bearer token and when it stops working. ToString never shows the token.</summary>
internal sealed record AccessToken(string Value, DateTimeOffset ExpiresAt)
{
    /// <summary>How long before expiry a token is replaced: a minute, or half its life for very short-lived tokens.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(1);

    public DateTimeOffset ObtainedAt { get; init; }

    public bool IsFresh(TimeProvider clock)
    {
        var margin = RefreshMargin;
        var lifetime = ExpiresAt - ObtainedAt;
        if (ObtainedAt != default && lifetime < margin * 2) margin = lifetime / 2;
        return clock.GetUtcNow() < ExpiresAt - margin;
    }

    public override string ToString() => $"AccessToken(expires {ExpiresAt:O})";
}

/// <summary>Caches a token and fetches a new one when it is about to expire; concurrent callers share one fetch.</summary>
internal sealed class CachedToken(Func<CancellationToken, Task<AccessToken>> fetch, TimeProvider clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile AccessToken? _current;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } token && token.IsFresh(clock)) return token.Value;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } cached && cached.IsFresh(clock)) return cached.Value;
            var obtainedAt = clock.GetUtcNow();
            var fresh = await fetch(cancellationToken).ConfigureAwait(false);
            _current = fresh with { ObtainedAt = obtainedAt };
            return fresh.Value;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Strategies with only a bearer token.</summary>
internal abstract class BearerStrategy : ICredentialStrategy
{
    public abstract string AuthType { get; }

    public abstract ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken);

    public virtual async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken) =>
        new Dictionary<string, string> { ["Authorization"] = "Bearer " + await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false) };
}
