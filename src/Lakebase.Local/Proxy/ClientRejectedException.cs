namespace Lakebase.Local.Proxy;

/// <summary>A connection refused in any phase before the relay: the client gets this SQLSTATE and message as a FATAL
/// error, as PostgreSQL would send it, and the connection closes.</summary>
internal sealed class ClientRejectedException(string sqlState, string message) : Exception(message)
{
    public string SqlState { get; } = sqlState;
}
