using System.Security;

namespace Lakebase.PowerShell.Objects;

/// <summary>A database credential: the token (a SecureString unless -AsPlainText), who it logs in as, and where.</summary>
public sealed class LakebaseCredential
{
    internal LakebaseCredential(SecureString token, DateTimeOffset? expireTime, string userName, string host, int port, string database, string endpoint)
    {
        Token = token;
        ExpireTime = expireTime;
        UserName = userName;
        Host = host;
        Port = port;
        Database = database;
        Endpoint = endpoint;
    }

    /// <summary>The token, used as the Postgres password; Get-LakebaseCredential -AsPlainText outputs it as text.</summary>
    public SecureString Token { get; }
    public DateTimeOffset? ExpireTime { get; }
    /// <summary>The Postgres user: your identity.</summary>
    public string UserName { get; }
    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string Endpoint { get; }

    public override string ToString() => $"{UserName}@{Host}/{Database} (expires {ExpireTime:u})";
}

internal static class SecureStrings
{
    public static SecureString From(string text)
    {
        var secure = new SecureString();
        foreach (var c in text) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }
}
