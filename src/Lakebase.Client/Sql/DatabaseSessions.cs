using System.Collections.Concurrent;
using System.Net.Sockets;
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
/// 57P03 "starting up", timeouts) is retried within a bound; SQL errors never are. TLS is always required; against
/// Lakebase Local the certificate is verified with its CA.
/// </summary>
public sealed class DatabaseSessions(LakebaseClient client) : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> DirectSources = new();
    private readonly ConcurrentDictionary<(DatabaseTarget Target, TimeSpan? Ttl), NpgsqlDataSource> _sources = new();

    /// <summary>The client whose identity and credentials the sessions use.</summary>
    public LakebaseClient Client => client;

    /// <summary>How long opening may keep retrying a waking compute.</summary>
    public TimeSpan WakeBudget { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<NpgsqlConnection> OpenAsync(DatabaseTarget target, TimeSpan? credentialTtl, IProgress<WakeProgress>? progress,
        CancellationToken cancellationToken)
    {
        var source = _sources.GetOrAdd((target, credentialTtl), _ => Build(target, credentialTtl));
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
        foreach (var source in _sources.Values) await source.DisposeAsync().ConfigureAwait(false);
        _sources.Clear();
    }

    /// <summary>A libpq connection string (for psql and other libpq tools) with the given password.</summary>
    public string LibpqConnectionString(DatabaseTarget target, string password)
    {
        var local = client.Config.LocalCaCertificateFile;
        var address = target.Address is null ? "" : $" hostaddr={target.ConnectHost} options='{target.EndpointOption}'";
        var tls = local is null ? "sslmode=require" : $"sslmode=verify-full sslrootcert='{local}'";
        return $"host={target.ServerName}{address} port={target.ConnectPort} dbname={target.Database} user='{client.UserName}' password={password} {tls}";
    }

    private NpgsqlDataSource Build(DatabaseTarget target, TimeSpan? credentialTtl)
    {
        var local = client.Config.LocalCaCertificateFile;
        var builder = DataSourceBuilder(new NpgsqlConnectionStringBuilder
        {
            Host = target.ConnectHost,
            Port = target.ConnectPort,
            Options = target.EndpointOption,
            Database = target.Database,
            Username = client.UserName,
            SslMode = local is null ? SslMode.Require : SslMode.VerifyFull,
            RootCertificate = local,
            ApplicationName = "lakebase-powershell",
            Timeout = 30,
            CommandTimeout = 0,
        }, target.ServerName != target.ConnectHost ? target.ServerName : null);
        var lifetime = credentialTtl ?? TimeSpan.FromHours(1);
        // Refresh at half the credential's life; retry a failed refresh soon.
        builder.UsePeriodicPasswordProvider(async (_, cancellationToken) =>
        {
            var credential = await client.GenerateDatabaseCredentialAsync(
                new DatabaseCredentialRequest { Endpoint = target.EndpointName, Ttl = credentialTtl }, cancellationToken).ConfigureAwait(false);
            return credential.Token!;
        }, lifetime / 2, TimeSpan.FromSeconds(5));
        return builder.Build();
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
