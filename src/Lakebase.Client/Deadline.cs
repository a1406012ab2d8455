namespace Lakebase.Client;

/// <summary>
/// A cmdlet's -Timeout: one moment after which every call it still makes (the first request, each poll, each retry
/// and each HTTP attempt) is cancelled, so no retry budget or poll schedule can outlast it. Without a limit it never
/// expires. Dispose it when the work it bounds has ended.
/// </summary>
public sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource? _expiry;

    /// <summary>No limit.</summary>
    public static Deadline None { get; } = new(null);

    public Deadline(TimeSpan? limit, TimeProvider? clock = null)
    {
        if (limit is not { } span) return;
        if (span <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(limit), limit, "A timeout must be positive.");
        Limit = span;
        _expiry = new CancellationTokenSource(span, clock ?? TimeProvider.System);
    }

    /// <summary>How long the work may take in all; null for no limit.</summary>
    public TimeSpan? Limit { get; }

    public bool HasExpired => _expiry?.IsCancellationRequested == true;

    /// <summary>Runs <paramref name="work"/> with a token that is cancelled at the deadline or by
    /// <paramref name="cancellationToken"/>; expiry becomes a <see cref="TimeoutException"/> with the message
    /// <paramref name="onExpiry"/> writes (it gets the limit as text, such as "5 s").</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, Func<string, string> onExpiry, CancellationToken cancellationToken)
    {
        if (_expiry is null) return await work(cancellationToken).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _expiry.Token);
        try
        {
            return await work(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (HasExpired && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(onExpiry(Describe(Limit!.Value)), ex);
        }
    }

    public void Dispose() => _expiry?.Dispose();

    internal static string Describe(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:0.###} s" : span.ToString();
}
