using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// Runs the real work behind every create, update, delete and undelete in the background. The operation is recorded
/// (in the same transaction as the metadata the request reserved) before the caller gets it; done flips only when
/// the work has finished, and a finished operation always carries exactly one of response or error. A failed
/// operation's rollback runs before the failure is recorded, so nothing half-made stays visible.
/// </summary>
internal sealed class OperationRunner(StateStore store, ILogger<OperationRunner> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _running = new();
    private readonly CancellationTokenSource _shutdown = new();

    public Operation Start(ResourceName target, OperationVerb verb, Action<StateStore.WriteBatch> reserve,
        Func<CancellationToken, Task<object?>> work, Func<Task>? rollback = null)
    {
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
        _running[operation.Name] = Task.Run(() => RunAsync(operation, verb, work, rollback));
        return operation;
    }

    /// <summary>At start-up: operations a crash interrupted are settled. Deletes finish (their metadata is already
    /// gone); anything else is recorded as failed after <paramref name="rollback"/> undid what it reserved.</summary>
    public void SettleInterrupted(Action<ResourceName, OperationVerb> rollback)
    {
        foreach (var (operation, verb) in store.UnfinishedOperations())
        {
            var target = ResourceName.Parse(operation.Name!).OperationTarget!;
            rollback(target, verb);
            Finish(operation, verb, verb == OperationVerb.Delete ? null : new ApiError
            {
                ErrorCode = ErrorCodes.Aborted,
                Message = "Lakebase Local stopped while this operation was running; its changes were rolled back.",
            }, null);
        }
    }

    /// <summary>Waits for running operations (tests and shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        try { await WhenIdleAsync().ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _shutdown.Dispose();
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

    private void Finish(Operation operation, OperationVerb verb, ApiError? error, object? result)
    {
        operation.Done = true;
        operation.Error = error;
        operation.Response = error is not null ? null : ResponseOf(result);
        store.Write(batch => batch.PutOperation(operation, verb));
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
