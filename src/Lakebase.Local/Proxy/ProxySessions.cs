using System.Collections.Concurrent;

namespace Lakebase.Local.Proxy;

/// <summary>What the proxy knows about live sessions: how many each endpoint has, how many are still logging in, and
/// where a cancel request (identified by the backend's pid and secret key) must go.</summary>
internal sealed class ProxySessions
{
    private readonly ConcurrentDictionary<string, int> _openByEndpoint = new();
    private readonly ConcurrentDictionary<string, int> _loggingInByEndpoint = new();
    private readonly ConcurrentDictionary<(int Pid, int Key), string> _cancelTargets = new();

    public int Open(string endpointUid) => _openByEndpoint.GetValueOrDefault(endpointUid);

    public void Opened(string endpointUid) => _openByEndpoint.AddOrUpdate(endpointUid, 1, (_, count) => count + 1);

    public void Closed(string endpointUid) => _openByEndpoint.AddOrUpdate(endpointUid, 0, (_, count) => Math.Max(0, count - 1));

    /// <summary>Sessions between their wake and their backend's ReadyForQuery: no query runs yet, and under load a
    /// login (through PgBouncer, which connects on demand) can outlast a short suspend timeout, so they count as use.</summary>
    public int LoggingIn(string endpointUid) => _loggingInByEndpoint.GetValueOrDefault(endpointUid);

    public void LoginStarted(string endpointUid) => _loggingInByEndpoint.AddOrUpdate(endpointUid, 1, (_, count) => count + 1);

    public void LoginEnded(string endpointUid) => _loggingInByEndpoint.AddOrUpdate(endpointUid, 0, (_, count) => Math.Max(0, count - 1));

    public void RegisterCancelKey(int pid, int key, string socketDirectory) => _cancelTargets[(pid, key)] = socketDirectory;

    public void ForgetCancelKey(int pid, int key) => _cancelTargets.TryRemove((pid, key), out _);

    public string? CancelTarget(int pid, int key) => _cancelTargets.GetValueOrDefault((pid, key));
}
