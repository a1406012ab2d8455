namespace Lakebase.Local.Proxy;

/// <summary>
/// How long a client connection may take and last, as the service limits it: a client must authenticate within the
/// handshake timeout; an idle session is closed after a day and every session after three days. Idle sessions are
/// closed by PostgreSQL itself (idle_session_timeout, SQLSTATE 57P05); the proxy ends sessions that reach the maximum
/// duration by terminating their backend, which tells the client why (57P01) at a clean message boundary. Handshakes
/// in progress are capped, per source address and in total, so stalled clients cannot crowd out others.
/// </summary>
internal sealed record SessionLimits
{
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections one source address may have in their handshake at once.</summary>
    public int MaxHandshakesPerSource { get; init; } = 128;

    /// <summary>Connections all sources together may have in their handshake at once.</summary>
    public int MaxHandshakes { get; init; } = 2048;
    public TimeSpan IdleSessionTimeout { get; init; } = TimeSpan.FromHours(24);
    public TimeSpan MaxSessionDuration { get; init; } = TimeSpan.FromDays(3);
}
