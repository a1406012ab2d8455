using System.Runtime.CompilerServices;
using System.Text.Json;
using Lakebase.Client.Auth;
using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Local;
using Lakebase.Contract.Models;

namespace Lakebase.Client;

/// <summary>Progress of a wait on an operation, for Write-Progress: the poll number and the time waited so far.</summary>
public sealed record OperationWaitProgress(string OperationName, int Poll, TimeSpan Elapsed);

/// <summary>Test and Lakebase Local knobs for <see cref="LakebaseClient.ConnectAsync(LakebaseConfig, CancellationToken)"/>.</summary>
internal sealed record LakebaseClientOptions
{
    /// <summary>The HTTP stack under the client (tests record requests here); null for a SocketsHttpHandler.</summary>
    public HttpMessageHandler? Handler { get; init; }
    public RetryOptions Retry { get; init; } = new();
    /// <summary>The poll schedule of WaitForOperationAsync; null picks the SDK schedule, or the fast one for Lakebase Local.</summary>
    public Func<int, TimeSpan>? PollDelay { get; init; }
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// The Databricks postgres REST API (/api/2.0/postgres) for one workspace or Lakebase Local: one HttpClient, one
/// credential strategy, the SDKs' retries. Resource names go into URLs raw; every mutation returns an Operation
/// (wait for it with <see cref="WaitForOperationAsync"/> or <see cref="WaitForResultAsync{T}"/>). Thread-safe.
/// </summary>
public sealed partial class LakebaseClient : IDisposable
{
    private const string ApiRoot = "/api/2.0/postgres/";
    private const string ScimMe = "/api/2.0/preview/scim/v2/Me";
    private const string LocalComputes = "/api/2.0/lakebase-local/computes";
    private readonly ApiTransport _transport;
    private readonly TimeProvider _clock;

    private LakebaseClient(LakebaseConfig config, ApiTransport transport, string userName, TimeProvider clock, Func<int, TimeSpan> pollDelay)
    {
        Config = config;
        _transport = transport;
        UserName = userName;
        _clock = clock;
        PollDelay = pollDelay;
    }

    public LakebaseConfig Config { get; }
    public string Host => Config.Host!;
    /// <summary>The caller's user name (e-mail, or application id for a service principal): its Postgres role.</summary>
    public string UserName { get; }
    /// <summary>The credential strategy in use: pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli.</summary>
    public string AuthType => _transport.AuthType;
    /// <summary>Whether this is Lakebase Local (a loopback host, or a config from <see cref="Local.LocalServer.CreateConfig"/>).</summary>
    public bool IsLocal => IsLocalConfig(Config);
    /// <summary>The poll schedule of <see cref="WaitForOperationAsync"/>: poll number (1, 2, ...) → delay before the next poll.</summary>
    public Func<int, TimeSpan> PollDelay { get; set; }

    /// <summary>The Python SDK's schedule: min(attempt, 10) s plus 0.05–0.75 s of jitter.</summary>
    public static TimeSpan DefaultPollDelay(int attempt) =>
        TimeSpan.FromSeconds(Math.Clamp(attempt, 1, 10) + 0.05 + Random.Shared.NextDouble() * 0.7);

    /// <summary>Lakebase Local is on this machine and finishes most operations in about a second: 25 ms, doubling,
    /// capped at 100 ms, so a wait ends within a tenth of a second of the work (a poll is a millisecond's GET).</summary>
    public static TimeSpan LocalPollDelay(int attempt) => LocalSchedule(attempt);

    private static readonly Func<int, TimeSpan> LocalSchedule = PollInterval(TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(100));

    /// <summary>A schedule starting at <paramref name="first"/>, doubling each poll, capped at <paramref name="cap"/>.</summary>
    public static Func<int, TimeSpan> PollInterval(TimeSpan first, TimeSpan cap) =>
        attempt => TimeSpan.FromTicks(Math.Min(cap.Ticks, first.Ticks * (1L << Math.Clamp(attempt - 1, 0, 30))));

    /// <summary>
    /// Picks the credential strategy (§5.3) and asks SCIM Me who we are, which also proves the credentials work.
    /// Throws <see cref="LakebaseConfigException"/> when no strategy can authenticate, <see cref="LakebaseApiException"/>
    /// when the workspace refuses (401, 403).
    /// </summary>
    public static Task<LakebaseClient> ConnectAsync(LakebaseConfig config, CancellationToken cancellationToken = default) =>
        ConnectAsync(config, new LakebaseClientOptions(), cancellationToken);

    internal static async Task<LakebaseClient> ConnectAsync(LakebaseConfig config, LakebaseClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        config = config with { Host = LakebaseConfig.NormalizeHost(config.Host) };
        var http = options.Handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
            : new HttpClient(options.Handler, disposeHandler: false);
        http.Timeout = Timeout.InfiniteTimeSpan;
        ApiTransport? transport = null;
        try
        {
            var credentials = CredentialChain.Select(config, http, options.Clock);
            transport = new ApiTransport(http, credentials, config.Host!, config.WorkspaceId, config.ApplyTo(options.Retry));
            var me = await transport.SendAsync<JsonElement>(HttpMethod.Get, ScimMe, null, "scim/v2/Me", cancellationToken).ConfigureAwait(false);
            var userName = me.ValueKind == JsonValueKind.Object && me.TryGetProperty("userName", out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()
                : null;
            var pollDelay = options.PollDelay ?? (IsLocalConfig(config) ? LocalPollDelay : DefaultPollDelay);
            return new LakebaseClient(config, transport, userName ?? config.ClientId ?? config.AzureClientId ?? "unknown", options.Clock, pollDelay);
        }
        catch
        {
            if (transport is not null) transport.Dispose();
            else http.Dispose();
            throw;
        }
    }

    private static bool IsLocalConfig(LakebaseConfig config) =>
        config.LocalCaCertificateFile is not null ||
        (Uri.TryCreate(config.Host, UriKind.Absolute, out var uri) && uri.IsLoopback);

    // Projects
    public Task<Operation> CreateProjectAsync(string projectId, Project project, CancellationToken cancellationToken = default) =>
        CreateAsync("projects" + Query(("project_id", projectId)), project, project.Spec,
            async token => await GetProjectAsync("projects/" + projectId, token).ConfigureAwait(false), cancellationToken);
    public Task<Project> GetProjectAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Project>(name, cancellationToken);
    public IAsyncEnumerable<Project> ListProjectsAsync(bool showDeleted = false, CancellationToken cancellationToken = default) =>
        ListAsync<ListProjectsResponse, Project>("projects", r => (r.Projects, r.NextPageToken), cancellationToken, ShowDeleted(showDeleted));
    public Task<Operation> UpdateProjectAsync(string name, Project project, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, project, updateMask, cancellationToken);
    /// <summary>With <paramref name="allowMissing"/> the service answers a missing project as deleted (preview).</summary>
    public Task<Operation> DeleteProjectAsync(string name, bool purge = false, bool allowMissing = false, CancellationToken cancellationToken = default) =>
        DeleteAsync(name + Query(Purge(purge), AllowMissing(allowMissing)), cancellationToken);
    public Task<Operation> UndeleteProjectAsync(string name, CancellationToken cancellationToken = default) =>
        UndeleteAsync(name, async token => await GetProjectAsync(name, token).ConfigureAwait(false), cancellationToken);

    // Branches
    public Task<Operation> CreateBranchAsync(string parent, string branchId, Branch branch, bool replaceExisting = false, CancellationToken cancellationToken = default) =>
        CreateChildAsync(parent, "branches", ("branch_id", branchId), branch, branch.Spec, replaceExisting,
            async token => await GetBranchAsync($"{parent}/branches/{branchId}", token).ConfigureAwait(false), cancellationToken);
    public Task<Branch> GetBranchAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Branch>(name, cancellationToken);
    public IAsyncEnumerable<Branch> ListBranchesAsync(string parent, bool showDeleted = false, CancellationToken cancellationToken = default) =>
        ListAsync<ListBranchesResponse, Branch>(parent + "/branches", r => (r.Branches, r.NextPageToken), cancellationToken, ShowDeleted(showDeleted));
    public Task<Operation> UpdateBranchAsync(string name, Branch branch, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, branch, updateMask, cancellationToken);
    /// <summary>With <paramref name="allowMissing"/> the service answers a missing branch as deleted (preview).</summary>
    public Task<Operation> DeleteBranchAsync(string name, bool purge = false, bool allowMissing = false, CancellationToken cancellationToken = default) =>
        DeleteAsync(name + Query(Purge(purge), AllowMissing(allowMissing)), cancellationToken);
    public Task<Operation> UndeleteBranchAsync(string name, CancellationToken cancellationToken = default) =>
        UndeleteAsync(name, async token => await GetBranchAsync(name, token).ConfigureAwait(false), cancellationToken);

    // Endpoints
    public Task<Operation> CreateEndpointAsync(string parent, string endpointId, Endpoint endpoint, bool replaceExisting = false, CancellationToken cancellationToken = default) =>
        CreateChildAsync(parent, "endpoints", ("endpoint_id", endpointId), endpoint, endpoint.Spec, replaceExisting,
            async token => await GetEndpointAsync($"{parent}/endpoints/{endpointId}", token).ConfigureAwait(false), cancellationToken);
    public Task<Endpoint> GetEndpointAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Endpoint>(name, cancellationToken);
    public IAsyncEnumerable<Endpoint> ListEndpointsAsync(string parent, CancellationToken cancellationToken = default) =>
        ListAsync<ListEndpointsResponse, Endpoint>(parent + "/endpoints", r => (r.Endpoints, r.NextPageToken), cancellationToken);
    public Task<Operation> UpdateEndpointAsync(string name, Endpoint endpoint, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, endpoint, updateMask, cancellationToken);
    public Task<Operation> DeleteEndpointAsync(string name, CancellationToken cancellationToken = default) => DeleteAsync(name, cancellationToken);

    // Roles
    public Task<Operation> CreateRoleAsync(string parent, string? roleId, Role role, bool replaceExisting = false, CancellationToken cancellationToken = default) =>
        CreateChildAsync(parent, "roles", ("role_id", roleId), role, role.Spec, replaceExisting, async token => roleId is not null
            ? await GetRoleAsync($"{parent}/roles/{roleId}", token).ConfigureAwait(false)
            : await FindAsync(ListRolesAsync(parent, token), r => r.Status?.PostgresRole == role.Spec?.PostgresRole).ConfigureAwait(false),
            cancellationToken);
    public Task<Role> GetRoleAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Role>(name, cancellationToken);
    public IAsyncEnumerable<Role> ListRolesAsync(string parent, CancellationToken cancellationToken = default) =>
        ListAsync<ListRolesResponse, Role>(parent + "/roles", r => (r.Roles, r.NextPageToken), cancellationToken);
    public Task<Operation> UpdateRoleAsync(string name, Role role, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, role, updateMask, cancellationToken);
    public Task<Operation> DeleteRoleAsync(string name, string? reassignOwnedTo = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(name + Query(("reassign_owned_to", reassignOwnedTo)), cancellationToken);

    // Databases
    public Task<Operation> CreateDatabaseAsync(string parent, string? databaseId, Database database, bool replaceExisting = false, CancellationToken cancellationToken = default) =>
        CreateChildAsync(parent, "databases", ("database_id", databaseId), database, database.Spec, replaceExisting, async token => databaseId is not null
            ? await GetDatabaseAsync($"{parent}/databases/{databaseId}", token).ConfigureAwait(false)
            : await FindAsync(ListDatabasesAsync(parent, token), d => d.Status?.PostgresDatabase == database.Spec?.PostgresDatabase).ConfigureAwait(false),
            cancellationToken);
    public Task<Database> GetDatabaseAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Database>(name, cancellationToken);
    public IAsyncEnumerable<Database> ListDatabasesAsync(string parent, CancellationToken cancellationToken = default) =>
        ListAsync<ListDatabasesResponse, Database>(parent + "/databases", r => (r.Databases, r.NextPageToken), cancellationToken);
    public Task<Operation> UpdateDatabaseAsync(string name, Database database, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, database, updateMask, cancellationToken);
    public Task<Operation> DeleteDatabaseAsync(string name, CancellationToken cancellationToken = default) => DeleteAsync(name, cancellationToken);

    // Credentials and operations
    public Task<DatabaseCredential> GenerateDatabaseCredentialAsync(DatabaseCredentialRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<DatabaseCredential>(HttpMethod.Post, "credentials", request, cancellationToken);

    public Task<Operation> GetOperationAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Operation>(name, cancellationToken);

    // Project permissions: the workspace permissions API, outside /api/2.0/postgres.
    public Task<ObjectPermissions> GetProjectPermissionsAsync(string projectId, CancellationToken cancellationToken = default) =>
        SendPermissionsAsync(HttpMethod.Get, projectId, null, cancellationToken);
    /// <summary>PUT: the project's list becomes exactly <paramref name="accessControlList"/>.</summary>
    public Task<ObjectPermissions> SetProjectPermissionsAsync(string projectId, IReadOnlyList<AccessControlRequest> accessControlList, CancellationToken cancellationToken = default) =>
        SendPermissionsAsync(HttpMethod.Put, projectId, new ObjectPermissionsRequest { AccessControlList = [.. accessControlList] }, cancellationToken);
    /// <summary>PATCH: the principals named get the levels given; the rest of the list stays.</summary>
    public Task<ObjectPermissions> UpdateProjectPermissionsAsync(string projectId, IReadOnlyList<AccessControlRequest> accessControlList, CancellationToken cancellationToken = default) =>
        SendPermissionsAsync(HttpMethod.Patch, projectId, new ObjectPermissionsRequest { AccessControlList = [.. accessControlList] }, cancellationToken);

    private Task<ObjectPermissions> SendPermissionsAsync(HttpMethod method, string projectId, object? body, CancellationToken cancellationToken) =>
        _transport.SendAsync<ObjectPermissions>(method, DatabaseProjectPermissions.PathPrefix + Uri.EscapeDataString(projectId), body,
            ResourceName.Project(projectId).ToString(), cancellationToken);

    /// <summary>Lakebase Local's computes with the size each runs at (its own API; a workspace has none).</summary>
    public async Task<IReadOnlyList<LocalCompute>> ListLocalComputesAsync(CancellationToken cancellationToken = default)
    {
        if (!IsLocal) throw new InvalidOperationException("Only Lakebase Local reports the size its computes run at.");
        var list = await _transport.SendAsync<LocalComputeList>(HttpMethod.Get, LocalComputes, null, "computes", cancellationToken).ConfigureAwait(false);
        return list.Computes;
    }

    /// <summary>
    /// Resets a branch to its parent's current state (a long-running operation whose result is the branch). The
    /// Lakebase API has no reset (the service offers it only in its UI), so this works against Lakebase Local only;
    /// against a workspace it refuses rather than delete and re-create the branch, which would change its endpoint's host.
    /// </summary>
    public Task<Operation> ResetBranchAsync(string name, string? preserveUnderName = null, CancellationToken cancellationToken = default)
    {
        CheckCanResetBranch(name);
        return _transport.SendAsync<Operation>(HttpMethod.Post, LocalBranchReset.Path(name), new LocalBranchReset { PreserveUnderName = preserveUnderName }, name,
            cancellationToken);
    }

    /// <summary>Throws <see cref="NotSupportedException"/>, saying why, when this is a workspace (the API has no reset).</summary>
    public void CheckCanResetBranch(string name)
    {
        if (IsLocal) return;
        throw new NotSupportedException($"Cannot reset {name}: the Lakebase API has no reset from parent (Databricks offers it only in the " +
            "workspace UI), and deleting and re-creating the branch would change its endpoint's host. Reset it in the UI, or create a new " +
            "branch from the parent. Reset-LakebaseBranch works against Lakebase Local.");
    }

    /// <summary>
    /// Polls until the operation is done (always at least once, as the SDKs do) and returns it; throws
    /// <see cref="LakebaseApiException"/> with the operation's error when it failed, <see cref="TimeoutException"/>
    /// when <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<Operation> WaitForOperationAsync(Operation operation, IProgress<OperationWaitProgress>? progress = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        using var deadline = new Deadline(timeout, _clock);
        return await WaitForOperationAsync(operation, progress, deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls until the operation is done, within <paramref name="deadline"/>. A poll that fails with a 5xx or a dropped
    /// connection is repeated on the poll schedule (a GET is safe to repeat) until the deadline, or without one until
    /// polls have failed for the retry budget; the operation's own error ends the wait at once. Every way of giving up
    /// other than that error says the operation may still be running and how to resume waiting for it.
    /// </summary>
    public async Task<Operation> WaitForOperationAsync(Operation operation, IProgress<OperationWaitProgress>? progress, Deadline deadline,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(deadline);
        if (operation is { Name: null, IsDone: true }) return operation; // settled by the client (SettledOperation)
        var name = operation.Name ?? throw new ArgumentException("The operation has no name.", nameof(operation));
        Exception? lastFailure = null;
        return await deadline.RunAsync(token => PollAsync(name, progress, failure => lastFailure = failure, token),
            limit => $"Timed out after {limit} waiting for operation {name}" +
                (lastFailure is null ? "" : $" (the last poll failed: {lastFailure.Message})") + $". {StillRunning(name)}",
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<Operation> PollAsync(string name, IProgress<OperationWaitProgress>? progress, Action<Exception> noteFailure,
        CancellationToken cancellationToken)
    {
        var target = ResourceName.TryParse(name, out var parsed) && parsed.OperationTarget is { } resource ? resource.ToString() : name;
        var started = _clock.GetTimestamp();
        long? failingSince = null;
        for (var attempt = 1; ; attempt++)
        {
            var asked = _clock.GetTimestamp();
            Operation operation;
            try
            {
                operation = await GetOperationAsync(name, cancellationToken).ConfigureAwait(false);
                failingSince = null;
            }
            catch (Exception failure) when (IsTransientPollFailure(failure))
            {
                noteFailure(failure);
                failingSince ??= asked;
                if (_clock.GetElapsedTime(failingSince.Value) >= _transport.RetryBudget)
                    throw failure is LakebaseApiException api ? api.Explained(StillRunning(name)) : new TimeoutException($"{failure.Message} {StillRunning(name)}", failure);
                progress?.Report(new OperationWaitProgress(name, attempt, _clock.GetElapsedTime(started)));
                await Task.Delay(PollDelay(attempt), _clock, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (operation.IsDone)
            {
                if (operation.Error is { } error) throw LakebaseApiException.FromOperationError(error, target);
                if (operation.Response is null)
                    throw new InvalidOperationException($"Operation {name} completed but no response is available.");
                return operation;
            }
            progress?.Report(new OperationWaitProgress(name, attempt, _clock.GetElapsedTime(started)));
            await Task.Delay(PollDelay(attempt), _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A poll that says nothing about the operation: the service or the way to it failed (5xx, a dropped or
    /// refused connection, a retry budget spent on 429/503).</summary>
    private static bool IsTransientPollFailure(Exception failure) => failure switch
    {
        LakebaseApiException api => api.HttpStatus >= 500,
        HttpRequestException http => ApiTransport.IsTransient(http),
        TimeoutException => true,
        _ => false,
    };

    private static string StillRunning(string operationName) =>
        $"The operation may still be running: resume with `Wait-LakebaseOperation {operationName}`.";

    /// <summary>Waits and returns the finished operation's response as <typeparamref name="T"/>; null for deletes.</summary>
    public async Task<T?> WaitForResultAsync<T>(Operation operation, IProgress<OperationWaitProgress>? progress = null, Deadline? deadline = null,
        CancellationToken cancellationToken = default) where T : class
    {
        var done = await WaitForOperationAsync(operation, progress, deadline ?? Deadline.None, cancellationToken).ConfigureAwait(false);
        return ReadResponse<T>(done);
    }

    /// <summary>A finished operation's response as <typeparamref name="T"/> (its @type key ignored); null when it is empty.</summary>
    public static T? ReadResponse<T>(Operation operation) where T : class
    {
        if (operation.Response is not { } response) return null;
        var isEmpty = response.ValueKind != JsonValueKind.Object || !response.EnumerateObject().Any(p => p.Name != "@type");
        return isEmpty ? null : response.Deserialize<T>(WireJson.Options);
    }

    public void Dispose() => _transport.Dispose();

    private Task<T> GetAsync<T>(string name, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Get, name, null, cancellationToken);

    private Task<Operation> CreateChildAsync(string parent, string collection, (string, string?) id, object body, object? spec, bool replaceExisting,
        Func<CancellationToken, Task<object?>> readExisting, CancellationToken cancellationToken) =>
        CreateAsync($"{parent}/{collection}" + Query(id, ("replace_existing", replaceExisting ? "true" : null)), body, spec, readExisting, cancellationToken);

    /// <summary>
    /// A create. When it had to be re-sent because an attempt's answer was lost and the service now says the resource
    /// exists, that attempt probably made it: the resource is read and, when it is what <paramref name="spec"/> asks
    /// for, adopted (once it has settled) as this call's result. Otherwise the refusal says what differs.
    /// </summary>
    private async Task<Operation> CreateAsync(string path, object body, object? spec, Func<CancellationToken, Task<object?>> readExisting,
        CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync<Operation>(HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
        }
        catch (LakebaseApiException refused) when (refused.AfterLostAnswer && refused.IsAlreadyExists)
        {
            const string EarlierAttempt = "An earlier attempt of this call, whose answer was lost, may have created it";
            var existing = await ReadIfExistsAsync(readExisting, cancellationToken).ConfigureAwait(false)
                ?? throw refused.Explained(EarlierAttempt + ", but it cannot be read.");
            var differences = RequestedState.Differences(spec, Status(existing));
            if (differences.Count > 0)
                throw refused.Explained($"{EarlierAttempt}, but it differs from what was asked in {string.Join(", ", differences)}.");
            for (var poll = 1; RequestedState.IsSettling(Status(existing)); poll++)
            {
                await Task.Delay(PollDelay(poll), _clock, cancellationToken).ConfigureAwait(false);
                existing = await ReadIfExistsAsync(readExisting, cancellationToken).ConfigureAwait(false)
                    ?? throw refused.Explained(EarlierAttempt + ", but it is gone again: that attempt failed.");
            }
            return SettledOperation(existing);
        }
    }

    /// <summary>A delete re-sent after a lost answer that finds nothing to delete: the lost attempt deleted it.</summary>
    private async Task<Operation> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync<Operation>(HttpMethod.Delete, path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (LakebaseApiException gone) when (gone.AfterLostAnswer && gone.IsNotFound)
        {
            return SettledOperation(null);
        }
    }

    /// <summary>An undelete re-sent after a lost answer and refused: when the resource is no longer deleted, the lost
    /// attempt restored it.</summary>
    private async Task<Operation> UndeleteAsync(string name, Func<CancellationToken, Task<object?>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync<Operation>(HttpMethod.Post, name + "/undelete", new { }, cancellationToken).ConfigureAwait(false);
        }
        catch (LakebaseApiException refused) when (refused.AfterLostAnswer)
        {
            var current = await ReadIfExistsAsync(read, cancellationToken).ConfigureAwait(false);
            if (current is null || (Status(current) is { } status && status.TryGetProperty("delete_time", out _))) throw;
            return SettledOperation(current);
        }
    }

    /// <summary>The first listed item that matches (a role or database created without an id is found by its Postgres name).</summary>
    private static async Task<T?> FindAsync<T>(IAsyncEnumerable<T> items, Func<T, bool> match) where T : class
    {
        await foreach (var item in items.ConfigureAwait(false))
            if (match(item)) return item;
        return null;
    }

    private static async Task<object?> ReadIfExistsAsync(Func<CancellationToken, Task<object?>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await read(cancellationToken).ConfigureAwait(false);
        }
        catch (LakebaseApiException missing) when (missing.IsNotFound)
        {
            return null;
        }
    }

    private static JsonElement? Status(object resource) =>
        JsonSerializer.SerializeToElement(resource, resource.GetType(), WireJson.Options) is { ValueKind: JsonValueKind.Object } json &&
        json.TryGetProperty("status", out var status) ? status : null;

    /// <summary>An operation the client settled itself from what the service already shows (it has no name to poll):
    /// done, with the resource as its response (an empty one for deletes).</summary>
    private static Operation SettledOperation(object? resource) => new()
    {
        Done = true,
        Response = resource is null ? JsonSerializer.SerializeToElement(new { }) : JsonSerializer.SerializeToElement(resource, resource.GetType(), WireJson.Options),
    };

    private Task<Operation> UpdateAsync(string name, object body, IReadOnlyCollection<string> updateMask, CancellationToken cancellationToken) =>
        SendAsync<Operation>(HttpMethod.Patch, name + Query(("update_mask", FieldMask.Join(updateMask))), body, cancellationToken);

    /// <summary>Errors name the resource the call concerned: the path without its query string.</summary>
    private Task<T> SendAsync<T>(HttpMethod method, string relativePath, object? body, CancellationToken cancellationToken)
    {
        var query = relativePath.IndexOf('?', StringComparison.Ordinal);
        var target = query < 0 ? relativePath : relativePath[..query];
        return _transport.SendAsync<T>(method, ApiRoot + relativePath, body, target, cancellationToken);
    }

    /// <summary>Follows next_page_token until it is missing or empty, resending the other parameters unchanged.</summary>
    private async IAsyncEnumerable<TItem> ListAsync<TResponse, TItem>(string path, Func<TResponse, (List<TItem>?, string?)> read,
        [EnumeratorCancellation] CancellationToken cancellationToken, params (string, string?)[] parameters)
    {
        string? pageToken = null;
        do
        {
            var response = await SendAsync<TResponse>(HttpMethod.Get, path + Query([.. parameters, ("page_token", pageToken)]), null, cancellationToken)
                .ConfigureAwait(false);
            var (items, next) = read(response);
            foreach (var item in items ?? []) yield return item;
            if (!string.IsNullOrEmpty(next) && next == pageToken)
                throw new InvalidOperationException($"Listing {path} returned the same next_page_token twice; stopping instead of looping.");
            pageToken = next;
        } while (!string.IsNullOrEmpty(pageToken));
    }

    private static (string, string?) ShowDeleted(bool showDeleted) => ("show_deleted", showDeleted ? "true" : null);
    private static (string, string?) Purge(bool purge) => ("purge", purge ? "true" : null);
    private static (string, string?) AllowMissing(bool allowMissing) => ("allow_missing", allowMissing ? "true" : null);

    /// <summary>Unset parameters are left out; values are percent-encoded (the comma of update_mask becomes %2C).</summary>
    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var set = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }
}
