namespace Lakebase.Local.Proxy;

/// <summary>
/// How long a client connection may take and last, as the service limits it: a client must authenticate within the
/// handshake timeout; an idle session is closed after a day and every session after three days. Idle sessions are
/// closed by PostgreSQL itself (idle_session_timeout, SQLSTATE 57P05); the proxy ends sessions that reach the maximum
/// duration by terminating their backend, which tells the client why (57P01) at a clean message boundary.
/// </summary>
internal sealed record SessionLimits
{
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan IdleSessionTimeout { get; init; } = TimeSpan.FromHours(24);
    public TimeSpan MaxSessionDuration { get; init; } = TimeSpan.FromDays(3);
}
