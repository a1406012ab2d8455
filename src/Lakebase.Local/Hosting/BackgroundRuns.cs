namespace Lakebase.Local.Hosting;

/// <summary>Work a background service starts and does not wait for, one run per key (a branch) at a time: each round
/// of the service starts what is due and goes on, so a slow or stuck run holds up no other and no later round. Used
/// from the service's own loop only.</summary>
internal sealed class BackgroundRuns
{
    private readonly Dictionary<string, Task> _running = [];

    /// <summary>Runs in progress.</summary>
    public int Count
    {
        get
        {
            foreach (var (key, _) in _running.Where(entry => entry.Value.IsCompleted).ToList()) _running.Remove(key);
            return _running.Count;
        }
    }

    public bool IsRunning(string key) => _running.TryGetValue(key, out var run) && !run.IsCompleted;

    /// <summary>Starts <paramref name="work"/> off the caller's thread, unless a run for <paramref name="key"/> is in
    /// progress.</summary>
    public void Start(string key, Func<Task> work)
    {
        if (!IsRunning(key)) _running[key] = Task.Run(work);
    }

    /// <summary>Waits for the runs in progress (on stopping: each is cancelled, and none is cut off half done).</summary>
    public Task WhenAll() => Task.WhenAll(_running.Values);
}
