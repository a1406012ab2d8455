using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>How an operation a crash interrupted ends: completed with its result, or not, with what was done about it.</summary>
internal sealed record Settlement(bool Completed, object? Result, string Outcome)
{
    public static Settlement Done(object? result) => new(true, result, "");
    public static Settlement RolledBack => new(false, null, "its changes were rolled back.");
}

/// <summary>
/// Runs the real work behind every create, update, delete and undelete in the background. The operation is recorded
/// (in the same transaction as the metadata the request reserved) before the caller gets it; done flips only when
/// the work has finished, and a finished operation always carries exactly one of response or error. A failed
/// operation's rollback runs before the failure is recorded, so nothing half-made stays visible. One operation runs
/// on a resource at a time: another one on it, a delete of something an operation works under, or anything under a
/// resource being deleted, gets the service's 409 until the first is done.
/// </summary>
internal sealed class OperationRunner(StateStore store, ILogger<OperationRunner> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _running = new();
    private readonly ConcurrentDictionary<string, (ResourceName Target, OperationVerb Verb)> _inFlight = new();
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>Records the operation with what <paramref name="reserve"/> writes and runs <paramref name="work"/> in the
    /// background. Callers hold the metadata gate, so the conflict check and the reservation are one step.</summary>
    public Operation Start(ResourceName target, OperationVerb verb, Action<StateStore.WriteBatch> reserve,
        Func<CancellationToken, Task<object?>> work, Func<Task>? rollback = null)
    {
        if (Conflicting(target, verb) is { } busy)
            throw new ApiException(ErrorCodes.Aborted,
                $"{busy.Target.Kind} {busy.Target} has an operation in progress (reconciliation); retry once it is done.");
        var operation = new Operation
        {
            Name = target.NewOperation(NewOperationId()).ToString(),
            Done = false,
            Metadata = JsonSerializer.SerializeToElement(new JsonObject { ["@type"] = $"type.googleapis.com/databricks.postgres.v1.{target.Kind}OperationMetadata" }),
        };
        store.Write(batch =>
        {
            reserve(batch);
            batch.PutOperation(operation, verb);
        });
        _inFlight[operation.Name] = (target, verb);
        _running[operation.Name] = Task.Run(() => RunAsync(operation, verb, work, rollback));
        return operation;
    }

    /// <summary>A delete with allow_missing of something that is not there: it succeeds, as a delete that found it would.</summary>
    public Operation DeletedAlready(ResourceName target) => Start(target, OperationVerb.Delete, _ => { }, _ => Task.FromResult<object?>(null));

    /// <summary>The operation in flight that a new <paramref name="verb"/> on <paramref name="target"/> would race.</summary>
    private (ResourceName Target, OperationVerb Verb)? Conflicting(ResourceName target, OperationVerb verb)
    {
        var name = target.ToString();
        foreach (var busy in _inFlight.Values)
        {
            var other = busy.Target.ToString();
            if (other == name
                || (verb == OperationVerb.Delete && other.StartsWith(name + "/", StringComparison.Ordinal))
                || (busy.Verb == OperationVerb.Delete && name.StartsWith(other + "/", StringComparison.Ordinal)))
                return busy;
        }
        return null;
    }

    /// <summary>At start-up: each operation a crash interrupted is settled by <paramref name="settle"/>, which rolls it
    /// forward (the operation succeeds with the result it returns) or back (it fails as aborted).</summary>
    public async Task SettleInterruptedAsync(Func<ResourceName, OperationVerb, Task<Settlement>> settle)
    {
        foreach (var (operation, verb) in store.UnfinishedOperations())
        {
            var settlement = await settle(ResourceName.Parse(operation.Name!).OperationTarget!, verb).ConfigureAwait(false);
            Finish(operation, verb, settlement.Completed ? null : new ApiError
            {
                ErrorCode = ErrorCodes.Aborted,
                Message = "Lakebase Local stopped while this operation was running; " + settlement.Outcome,
            }, settlement.Result);
        }
    }

    /// <summary>Waits for running operations (tests and shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    /// <summary>Cancels running operations and waits for them to settle; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested) return;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        try { await WhenIdleAsync().ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task RunAsync(Operation operation, OperationVerb verb, Func<CancellationToken, Task<object?>> work, Func<Task>? rollback)
    {
        try
        {
            var result = await work(_shutdown.Token).ConfigureAwait(false);
            Finish(operation, verb, null, result);
        }
        catch (Exception ex)
        {
            var error = ex switch
            {
                ApiException api => new ApiError { ErrorCode = api.ErrorCode, Message = api.Message },
                OperationCanceledException => new ApiError { ErrorCode = ErrorCodes.Aborted, Message = "Lakebase Local stopped while this operation was running." },
                Npgsql.PostgresException pg => new ApiError { ErrorCode = ErrorCodes.InvalidState, Message = $"PostgreSQL refused the change: {pg.MessageText} (SQLSTATE {pg.SqlState})." },
                _ => new ApiError { ErrorCode = ErrorCodes.InternalError, Message = ex.Message },
            };
            if (error.ErrorCode == ErrorCodes.InternalError) logger.LogError(ex, "Operation {Operation} failed", operation.Name);
            if (rollback is not null)
            {
                try { await rollback().ConfigureAwait(false); }
                catch (Exception rollbackError) { logger.LogError(rollbackError, "Rolling back {Operation} failed", operation.Name); }
            }
            Finish(operation, verb, error, null);
        }
        finally
        {
            _running.TryRemove(operation.Name!, out _);
        }
    }

    /// <summary>Records the end; the resource is free for the next operation before a client can see done. The
    /// finished operation is a new one: the started one is the caller's answer, which may still be on its way out
    /// and must never read done without its response.</summary>
    private void Finish(Operation operation, OperationVerb verb, ApiError? error, object? result)
    {
        _inFlight.TryRemove(operation.Name!, out _);
        var finished = new Operation
        {
            Name = operation.Name,
            Metadata = operation.Metadata,
            Done = true,
            Error = error,
            Response = error is not null ? null : ResponseOf(result),
        };
        store.Write(batch => batch.PutOperation(finished, verb));
    }

    /// <summary>The resource with its @type, or google.protobuf.Empty for deletes: SDKs fail on a done operation without response.</summary>
    private static JsonElement ResponseOf(object? result)
    {
        var response = result is null ? new JsonObject() : JsonSerializer.SerializeToNode(result, result.GetType(), WireJson.Options)!.AsObject();
        response.Insert(0, "@type", result is null
            ? "type.googleapis.com/google.protobuf.Empty"
            : $"type.googleapis.com/databricks.postgres.v1.{result.GetType().Name}");
        return JsonSerializer.SerializeToElement(response);
    }

    /// <summary>Opaque, base64 like the service's (it may contain '+', '/' and '='; clients must pass it back untouched).</summary>
    private static string NewOperationId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
}
