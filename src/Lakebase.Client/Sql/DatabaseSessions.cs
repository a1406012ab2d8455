using System.Collections.Concurrent;
using System.Net.Sockets;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Lakebase.Client.Sql;

/// <summary>Progress while a connection waits for a compute to wake.</summary>
public sealed record WakeProgress(string Host, int Attempt, Exception Reason);

/// <summary>
/// Pooled Postgres connections per (endpoint, database) for one client identity. The password is a database
/// credential from the API, supplied by a provider that fetches a new one before the current one expires, so a
/// session longer than a token's life keeps working. Opening a connection to a compute that is waking (refused,
/// 57P03 "starting up", timeouts) is retried within a bound; SQL errors never are. TLS is always required and the
/// server's certificate always verified (chain and host name, as libpq's verify-full): against a workspace with the
/// machine's trusted roots, against Lakebase Local with its CA.
/// </summary>
public sealed class DatabaseSessions(LakebaseClient client) : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> DirectSources = new();
    private readonly ConcurrentDictionary<(DatabaseTarget Target, TimeSpan? Ttl), (NpgsqlDataSource Source, DatabasePasswords Passwords)> _sources = new();

    /// <summary>The client whose identity and credentials the sessions use.</summary>
    public LakebaseClient Client => client;

    /// <summary>How long opening may keep retrying a waking compute.</summary>
    public TimeSpan WakeBudget { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<NpgsqlConnection> OpenAsync(DatabaseTarget target, TimeSpan? credentialTtl, IProgress<WakeProgress>? progress,
        CancellationToken cancellationToken)
    {
        var (source, passwords) = _sources.GetOrAdd((target, credentialTtl), _ => Build(target, credentialTtl));
        // The credential first, outside Npgsql: its failure then surfaces as the API's error (as Get-LakebaseCredential
        // shows it), not wrapped as a connection failure, and a connection opened right after uses the same one.
        await passwords.GetAsync(cancellationToken).ConfigureAwait(false);
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(IsWaking).Handle<TimeoutException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                OnRetry = arguments =>
                {
                    progress?.Report(new WakeProgress(target.Host, arguments.AttemptNumber + 1, arguments.Outcome.Exception!));
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(WakeBudget)
            .Build();
        return await pipeline.ExecuteAsync(async token => await OpenLiveAsync(source, token).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>A connection for a connection string in any form <see cref="PostgresConnectionString"/> reads, pooled
    /// per string for the process's life (as Npgsql pools plain connection strings).</summary>
    public static async Task<NpgsqlConnection> OpenDirectAsync(string connectionString, CancellationToken cancellationToken)
    {
        var source = DirectSources.GetOrAdd(connectionString, text =>
        {
            var parsed = PostgresConnectionString.Parse(text);
            return DataSourceBuilder(parsed.Settings, parsed.ServerName).Build();
        });
        return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A pooled connection may have died while idle (its compute was suspended, which ends idle sessions):
    /// an empty round trip finds out, and the pool is emptied and a fresh connection opened instead.</summary>
    private static async Task<NpgsqlConnection> OpenLiveAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var ping = new NpgsqlCommand(";", connection);
            await ping.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" })
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            NpgsqlConnection.ClearPool(connection);
            return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (source, _) in _sources.Values) await source.DisposeAsync().ConfigureAwait(false);
        _sources.Clear();
    }

    /// <summary>A libpq connection string (for psql and other libpq tools) with the given password, for the context's
    /// identity or <paramref name="user"/> (a group's role).</summary>
    public string LibpqConnectionString(DatabaseTarget target, string password, string? user = null)
    {
        var local = client.Config.LocalCaCertificateFile;
        var address = target.Address is null ? "" : $" hostaddr={target.ConnectHost} options={Libpq.Quote(target.EndpointOption!)}";
        var tls = $"sslmode=verify-full sslrootcert={Libpq.Quote(local ?? "system")}";
        return $"host={target.ServerName}{address} port={target.ConnectPort} dbname={Libpq.Quote(target.Database)} " +
            $"user={Libpq.Quote(user ?? client.UserName)} password={Libpq.Quote(password)} {tls}";
    }

    private (NpgsqlDataSource, DatabasePasswords) Build(DatabaseTarget target, TimeSpan? credentialTtl)
    {
        var local = client.Config.LocalCaCertificateFile;
        var builder = DataSourceBuilder(new NpgsqlConnectionStringBuilder
        {
            Host = target.ConnectHost,
            Port = target.ConnectPort,
            Options = target.EndpointOption,
            Database = target.Database,
            Username = client.UserName,
            SslMode = SslMode.VerifyFull,
            RootCertificate = local,
            ApplicationName = "lakebase-powershell",
            Timeout = 30,
            CommandTimeout = 0,
            // PgBouncer in transaction mode: a reset (DISCARD ALL) would run on whichever server connection it picks.
            NoResetOnClose = target.Pooled,
        }, target.ServerName != target.ConnectHost ? target.ServerName : null);
        var passwords = new DatabasePasswords(cancellationToken => client.GenerateDatabaseCredentialAsync(
            new DatabaseCredentialRequest { Endpoint = target.EndpointName, Ttl = credentialTtl }, cancellationToken), credentialTtl ?? TimeSpan.FromHours(1));
        builder.UsePasswordProvider(_ => throw new NotSupportedException("Lakebase connections are opened asynchronously."),
            async (_, cancellationToken) => await passwords.GetAsync(cancellationToken).ConfigureAwait(false));
        return (builder.Build(), passwords);
    }

    /// <summary>Connections as rows need them (<see cref="RowReader.ArrayNullability"/>); with a
    /// <paramref name="serverName"/>, the address connected to is not the name TLS checks (libpq's hostaddr).</summary>
    private static NpgsqlDataSourceBuilder DataSourceBuilder(NpgsqlConnectionStringBuilder settings, string? serverName)
    {
        settings.ArrayNullabilityMode = RowReader.ArrayNullability;
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        if (serverName is not null) builder.UseSslClientAuthenticationOptionsCallback(options => options.TargetHost = serverName);
        return builder;
    }

    /// <summary>A compute that is starting refuses connections, answers 57P03, or is not reachable yet.</summary>
    private static bool IsWaking(NpgsqlException exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState == "57P03",
        _ => exception.InnerException is SocketException or TimeoutException or IOException,
    };
}
