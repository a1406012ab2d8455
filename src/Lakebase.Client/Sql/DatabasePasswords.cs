using Lakebase.Contract.Models;

namespace Lakebase.Client.Sql;

/// <summary>
/// The database credential used as the password of one data source: fetched on first use and again once half its
/// life has passed, so new connections never get an expiring one. A failed fetch is not kept: the next connection
/// asks the API again (Npgsql's periodic provider would replay the failure until its retry interval passed).
/// </summary>
internal sealed class DatabasePasswords(Func<CancellationToken, Task<DatabaseCredential>> fetch, TimeSpan defaultLifetime)
{
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile Current? _current;

    private sealed record Current(string Token, DateTimeOffset RenewAt);

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } fresh && DateTimeOffset.UtcNow < fresh.RenewAt) return fresh.Token;
        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } fetched && DateTimeOffset.UtcNow < fetched.RenewAt) return fetched.Token;
            var asked = DateTimeOffset.UtcNow;
            var credential = await fetch(cancellationToken).ConfigureAwait(false);
            var life = (credential.ExpireTime ?? asked + defaultLifetime) - asked;
            _current = new Current(credential.Token!, asked + life / 2);
            return credential.Token!;
        }
        finally
        {
            _fetching.Release();
        }
    }
}
