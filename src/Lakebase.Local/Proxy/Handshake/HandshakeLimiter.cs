using System.Net;

namespace Lakebase.Local.Proxy.Handshake;

/// <summary>
/// Bounds the connections still in their handshake (not yet authenticated), per source address and in total, so
/// clients that open connections and stall cannot exhaust the proxy before the handshake timeout cuts them off.
/// Authenticated sessions do not count: they are bounded by the computes' own max_connections.
/// </summary>
internal sealed class HandshakeLimiter(int perSource, int total)
{
    private readonly Dictionary<IPAddress, int> _bySource = [];
    private int _total;

    /// <summary>A slot for one handshake from <paramref name="source"/>, released on dispose; null when either cap is reached.</summary>
    public IDisposable? TryEnter(IPAddress source)
    {
        lock (_bySource)
        {
            var fromSource = _bySource.GetValueOrDefault(source);
            if (fromSource >= perSource || _total >= total) return null;
            _bySource[source] = fromSource + 1;
            _total++;
        }
        return new Slot(this, source);
    }

    private void Leave(IPAddress source)
    {
        lock (_bySource)
        {
            _total--;
            if (--_bySource[source] == 0) _bySource.Remove(source);
        }
    }

    private sealed class Slot(HandshakeLimiter limiter, IPAddress source) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) limiter.Leave(source);
        }
    }
}
