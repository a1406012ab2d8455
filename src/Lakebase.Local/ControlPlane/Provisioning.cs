using System.Collections.Concurrent;
using System.Security.Cryptography;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.Proxy;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// What the resource services share: the metadata gate (checks and reservations happen under it, so two racing
/// creates of one name cannot both pass), a per-project work queue (real work on one project runs one at a time),
/// and the building blocks of branches (their endpoints, owner role, computes).
/// </summary>
internal sealed class Provisioning(Catalog catalog, ComputeManager computes, BranchStorage storage, LocalLimits limits, ProxyServer proxy)
{
    public const string DefaultDatabase = "databricks_postgres";
    public const string DefaultBranchId = "production";
    public const string PrimaryEndpointId = "primary";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _projectWork = new();

    public object MetadataGate { get; } = new();
    public Catalog Catalog => catalog;
    public ComputeManager Computes => computes;
    public BranchStorage Storage => storage;
    public LocalLimits Limits => limits;

    /// <summary>Runs real work for one project after the work queued before it.</summary>
    public async Task<T> QueueAsync<T>(string projectId, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = _projectWork.GetOrAdd(projectId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await work().ConfigureAwait(false); }
        finally { gate.Release(); }
    }

    /// <summary>A rollback that runs in the project's queue like the work it undoes, so no other work of the project
    /// sees it half done.</summary>
    public Func<Task> Queued(string projectId, Func<Task> rollback) =>
        () => QueueAsync<object?>(projectId, async () =>
        {
            await rollback().ConfigureAwait(false);
            return null;
        }, CancellationToken.None);

    public Endpoint NewEndpoint(string branchName, string endpointId, string endpointType, double minCu, double maxCu,
        TimeSpan? suspendTimeout, bool? noSuspension, Dictionary<string, string>? pgSettings, bool disabled = false)
    {
        var now = Catalog.Now();
        return new Endpoint
        {
            Name = $"{branchName}/endpoints/{endpointId}",
            EndpointId = endpointId,
            Parent = branchName,
            Uid = Validation.NewUid("ep"),
            CreateTime = now,
            UpdateTime = now,
            Status = new EndpointStatus
            {
                EndpointId = endpointId,
                EndpointType = endpointType,
                CurrentState = EndpointState.Init,
                AutoscalingLimitMinCu = minCu,
                AutoscalingLimitMaxCu = maxCu,
                Disabled = disabled,
                SuspendTimeoutDuration = noSuspension == true ? null : suspendTimeout ?? limits.DefaultSuspendTimeout,
                NoSuspension = noSuspension == true ? true : null,
                Settings = new EndpointSettings { PgSettings = pgSettings ?? [] },
                Group = new EndpointGroup { Min = 1, Max = 1, EnableReadableSecondaries = false },
                Hosts = NewHosts(endpointType),
            },
        };
    }

    /// <summary>The primary read-write endpoint every branch gets, sized from the project's defaults.</summary>
    public Endpoint NewPrimaryEndpoint(string branchName, ProjectDefaultEndpointSettings defaults) =>
        NewEndpoint(branchName, PrimaryEndpointId, EndpointType.ReadWrite, defaults.AutoscalingLimitMinCu ?? limits.DefaultEndpointCu,
            defaults.AutoscalingLimitMaxCu ?? limits.DefaultEndpointCu, defaults.SuspendTimeoutDuration, defaults.NoSuspension,
            defaults.PgSettings is null ? null : new Dictionary<string, string>(defaults.PgSettings));

    public static Role NewRole(string branchName, string roleId, RoleStatus status)
    {
        var now = Catalog.Now();
        status.RoleId = roleId;
        return new Role { Name = $"{branchName}/roles/{roleId}", RoleId = roleId, Parent = branchName, CreateTime = now, UpdateTime = now, Status = status };
    }

    /// <summary>The role of the identity that created the project: it logs in with OAuth tokens and is a databricks_superuser.</summary>
    public static Role NewOwnerRole(string branchName, Principal owner) =>
        NewRole(branchName, Validation.DeriveId(owner.UserName, "role", _ => false), new RoleStatus
        {
            PostgresRole = owner.UserName,
            IdentityType = owner.IdentityType,
            AuthMethod = AuthMethod.LakebaseOAuthV1,
            MembershipRoles = [MembershipRole.DatabricksSuperuser],
            Attributes = new RoleAttributes { Bypassrls = false, Createdb = true, Createrole = true },
        });

    public static Database NewDatabase(string branchName, string databaseId, string postgresDatabase, string roleName)
    {
        var now = Catalog.Now();
        return new Database
        {
            Name = $"{branchName}/databases/{databaseId}",
            DatabaseId = databaseId,
            Parent = branchName,
            CreateTime = now,
            UpdateTime = now,
            Status = new DatabaseStatus { DatabaseId = databaseId, PostgresDatabase = postgresDatabase, Role = roleName },
        };
    }

    /// <summary>Starts an endpoint's compute (it must be recorded already) and records it as no longer initialising.</summary>
    public async Task StartEndpointAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        foreach (var address in AddressesOf(endpoint.Status!.Hosts)) proxy.EnsureListening(address);
        if (endpoint.Status!.Disabled != true)
            await computes.EnsureRunningAsync(catalog.TargetOf(endpoint), cancellationToken).ConfigureAwait(false);
        endpoint.Status.CurrentState = EndpointState.Active;
    }

    /// <summary>An admin connection to a database of the branch, waking its read-write compute when it sleeps. A
    /// disabled compute is never woken: the change is refused. The compute counts as in use until the connection is
    /// closed, so it is not suspended under the change.</summary>
    public async Task<NpgsqlConnection> ConnectAsync(string branchName, string database, CancellationToken cancellationToken)
    {
        var endpoint = catalog.ReadWriteEndpoint(branchName)
            ?? throw ApiException.BadRequest($"Branch {branchName} has no read-write endpoint to run the change on.");
        if (endpoint.Status!.Disabled == true)
            throw new ApiException(ErrorCodes.InvalidState, $"The read-write endpoint {endpoint.Name} of {branchName} is disabled; enable it to change the branch.");
        var use = computes.Use(endpoint.Uid!);
        try
        {
            await computes.EnsureRunningAsync(catalog.TargetOf(endpoint), cancellationToken).ConfigureAwait(false);
            var connection = await computes.OpenConnectionAsync(endpoint.Uid!, database, cancellationToken).ConfigureAwait(false);
            connection.StateChange += (_, change) =>
            {
                if (change.CurrentState == System.Data.ConnectionState.Closed) use.Dispose();
            };
            return connection;
        }
        catch
        {
            use.Dispose();
            throw;
        }
    }

    /// <summary>Stops every compute of a branch (soft delete, suspend of a deleted project).</summary>
    public async Task StopBranchAsync(string branchName, CancellationToken cancellationToken)
    {
        foreach (var endpoint in catalog.Endpoints(branchName).OrderBy(e => e.Status!.EndpointType == EndpointType.ReadWrite))
            await computes.StopAsync(endpoint.Uid!, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a branch's computes and data for good; the metadata must already be gone or going.</summary>
    public async Task DestroyBranchAsync(string branchUid, IEnumerable<string> endpointUids, CancellationToken cancellationToken)
    {
        foreach (var endpointUid in endpointUids) await computes.DeleteAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        await storage.DeleteAsync(branchUid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The endpoint's host and its pooled host (PgBouncer behind the proxy): read-write for a read-write
    /// endpoint, read-only for a read-only one, as the service publishes them.</summary>
    private EndpointHosts NewHosts(string endpointType)
    {
        var hosts = AllocateHosts(2);
        return endpointType == EndpointType.ReadOnly
            ? new EndpointHosts { Host = hosts[0], ReadOnlyPooledHost = hosts[1] }
            : new EndpointHosts { Host = hosts[0], ReadWritePooledHost = hosts[1] };
    }

    /// <summary>Gives an endpoint recorded before endpoints had pooled hosts the one of its kind; false when it has it.</summary>
    public bool AddMissingPooledHost(Endpoint endpoint)
    {
        var hosts = endpoint.Status!.Hosts ??= new EndpointHosts();
        var readOnly = endpoint.Status.EndpointType == EndpointType.ReadOnly;
        if ((readOnly ? hosts.ReadOnlyPooledHost : hosts.ReadWritePooledHost) is not null) return false;
        var pooled = AllocateHosts(1)[0];
        if (readOnly) hosts.ReadOnlyPooledHost = pooled;
        else hosts.ReadWritePooledHost = pooled;
        return true;
    }

    /// <summary>Every address an endpoint is reached on: its host and its pooled host.</summary>
    public static IEnumerable<string> AddressesOf(EndpointHosts? hosts) =>
        new[] { hosts?.Host, hosts?.ReadWritePooledHost, hosts?.ReadOnlyPooledHost }.OfType<string>();

    /// <summary>
    /// A loopback address of its own for each endpoint host: on Linux all of 127.0.0.0/8 is loopback, so a client
    /// connects to the endpoint's host on port 5432 with no configuration, and the proxy knows the endpoint (and
    /// whether it is the pooled host) from the address it was reached on.
    /// </summary>
    private List<string> AllocateHosts(int count)
    {
        if (!OperatingSystem.IsLinux()) return Enumerable.Repeat("127.0.0.1", count).ToList();
        var taken = catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null).SelectMany(e => AddressesOf(e.Status?.Hosts)).ToHashSet();
        var hosts = new List<string>();
        while (hosts.Count < count)
        {
            var bytes = RandomNumberGenerator.GetBytes(3);
            var host = $"127.{1 + bytes[0] % 254}.{bytes[1]}.{1 + bytes[2] % 254}";
            if (taken.Add(host)) hosts.Add(host);
        }
        return hosts;
    }
}
