using System.Collections.Concurrent;

namespace Lakebase.Local.Hosting;

/// <summary>Work a background service starts and does not wait for, one run per key (a branch) at a time: each round
/// of the service starts what is due and goes on, so a slow or stuck run holds up no other and no later round. Started
/// from the service's own loop only.</summary>
internal sealed class BackgroundRuns
{
    private readonly ConcurrentDictionary<string, Task> _running = new();

    /// <summary>Runs in progress.</summary>
    public int Count => _running.Count;

    public bool IsRunning(string key) => _running.ContainsKey(key);

    /// <summary>Starts <paramref name="work"/> off the caller's thread, unless a run for <paramref name="key"/> is in
    /// progress.</summary>
    public void Start(string key, Func<Task> work)
    {
        if (_running.ContainsKey(key)) return;
        var run = Task.Run(work);
        _running[key] = run;
        // Forgotten once done, so the runs of branches long gone are not kept.
        _ = run.ContinueWith(done => _running.TryRemove(KeyValuePair.Create(key, done)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for the runs in progress (on stopping: each is cancelled, and none is cut off half done).</summary>
    public Task WhenAll() => Task.WhenAll(_running.Values);
}
