using System.Collections.Concurrent;

namespace Lakebase.Local.Platform;

/// <summary>One async lock per key (an endpoint, a branch), made on first use; holders of different keys never wait
/// for each other.</summary>
internal sealed class KeyedLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        var gate = Gate(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(() => gate.Release());
    }

    /// <summary>The key's lock if no one holds it, else null, without waiting.</summary>
    public IDisposable? TryLock(string key)
    {
        var gate = Gate(key);
        return gate.Wait(0) ? new Releaser(() => gate.Release()) : null;
    }

    private SemaphoreSlim Gate(string key) => _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
}

/// <summary>Runs its action once, on the first Dispose.</summary>
internal sealed class Releaser(Action release) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}
