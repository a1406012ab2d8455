using System.Collections.Concurrent;

namespace Lakebase.Local.Proxy;

/// <summary>What the proxy knows about live sessions: how many each endpoint has, and where a cancel request
/// (identified by the backend's pid and secret key) must go.</summary>
internal sealed class ProxySessions
{
    private readonly ConcurrentDictionary<string, int> _openByEndpoint = new();
    private readonly ConcurrentDictionary<(int Pid, int Key), string> _cancelTargets = new();

    public int Open(string endpointUid) => _openByEndpoint.GetValueOrDefault(endpointUid);

    public void Opened(string endpointUid) => _openByEndpoint.AddOrUpdate(endpointUid, 1, (_, count) => count + 1);

    public void Closed(string endpointUid) => _openByEndpoint.AddOrUpdate(endpointUid, 0, (_, count) => Math.Max(0, count - 1));

    public void RegisterCancelKey(int pid, int key, string socketDirectory) => _cancelTargets[(pid, key)] = socketDirectory;

    public void ForgetCancelKey(int pid, int key) => _cancelTargets.TryRemove((pid, key), out _);

    public string? CancelTarget(int pid, int key) => _cancelTargets.GetValueOrDefault((pid, key));
}
