using System.Collections.Concurrent;

namespace Lakebase.Local.Proxy;

/// <summary>What the proxy knows about live sessions: how many each endpoint has, how many are still logging in, and
/// where a cancel request (identified by the backend's pid and secret key) must go.</summary>
internal sealed class ProxySessions
{
    private readonly EndpointCounts _open = new();
    private readonly EndpointCounts _loggingIn = new();
    private readonly ConcurrentDictionary<(int Pid, int Key), string> _cancelTargets = new();

    public int Open(string endpointUid) => _open.Of(endpointUid);

    public void Opened(string endpointUid) => _open.Add(endpointUid);

    public void Closed(string endpointUid) => _open.Remove(endpointUid);

    /// <summary>Sessions between their wake and their backend's ReadyForQuery: no query runs yet, and under load a
    /// login (through PgBouncer, which connects on demand) can outlast a short suspend timeout, so they count as use.</summary>
    public int LoggingIn(string endpointUid) => _loggingIn.Of(endpointUid);

    public void LoginStarted(string endpointUid) => _loggingIn.Add(endpointUid);

    public void LoginEnded(string endpointUid) => _loggingIn.Remove(endpointUid);

    public void RegisterCancelKey(int pid, int key, string socketDirectory) => _cancelTargets[(pid, key)] = socketDirectory;

    public void ForgetCancelKey(int pid, int key) => _cancelTargets.TryRemove((pid, key), out _);

    public string? CancelTarget(int pid, int key) => _cancelTargets.GetValueOrDefault((pid, key));

    /// <summary>A count per endpoint that never goes below zero.</summary>
    private sealed class EndpointCounts
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public int Of(string endpointUid) => _counts.GetValueOrDefault(endpointUid);

        public void Add(string endpointUid) => _counts.AddOrUpdate(endpointUid, 1, (_, count) => count + 1);

        public void Remove(string endpointUid) => _counts.AddOrUpdate(endpointUid, 0, (_, count) => Math.Max(0, count - 1));
    }
}
