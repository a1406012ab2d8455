using System.Collections.Concurrent;
using System.Management.Automation;
using Lakebase.Client;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Output;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// Base of every cmdlet: the -Context parameter, Ctrl+C (StopProcessing cancels the running call), and the bridge
/// from async library calls to the pipeline thread. Work runs on the thread pool; anything it wants to write
/// (progress, verbose) is queued and written here, on the pipeline thread, never from another thread.
/// </summary>
public abstract class LakebaseCmdlet : PSCmdlet, IDisposable
{
    private const int MaxQueuedWrites = 4;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _room = new(MaxQueuedWrites);
    private BlockingCollection<Action>? _pending;

    /// <summary>The connection to use; the default is the one Connect-Lakebase made.</summary>
    [Parameter]
    public LakebaseContext? Context { get; set; }

    internal LakebaseClient Client => ResolveContext().Client;

    internal LakebaseContext ResolveContext() => Context ?? ContextStore.Current ?? throw new PipelineStoppedWithError(ErrorRecords.NotConnected());

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose()
    {
        _stopping.Dispose();
        _room.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void ProcessRecord() => Guard(ProcessItem);

    /// <summary>Runs cmdlet work with the module's error handling: failures a user can act on become ErrorRecords,
    /// Ctrl+C stops the pipeline, "not connected" ends it.</summary>
    protected void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (PipelineStoppedWithError stopped)
        {
            ThrowTerminatingError(stopped.Record);
        }
        catch (InvalidParametersException invalid)
        {
            ThrowTerminatingError(ErrorRecords.From(invalid, Target));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex))
        {
            WriteError(ErrorRecords.From(ex, Target));
        }
    }

    /// <summary>Handles one pipeline item.</summary>
    protected abstract void ProcessItem();

    /// <summary>What errors of the current item are about (shown as the ErrorRecord's target).</summary>
    protected virtual object? Target => null;

    /// <summary>Runs async work to completion while writing what it queues; the only way cmdlets wait.</summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> work)
    {
        using var pending = new BlockingCollection<Action>();
        using var abandoned = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _pending = pending;
        var task = Task.Run(() => work(abandoned.Token));
        var drained = task.ContinueWith(_ => pending.CompleteAdding(), TaskScheduler.Default);
        try
        {
            foreach (var action in pending.GetConsumingEnumerable()) action();
        }
        finally
        {
            _pending = null;
            // The pipeline stopped taking output (Select-Object -First, an error downstream): end the work too, so
            // no query runs on, or holds its connection, after the cmdlet.
            if (!task.IsCompleted)
            {
                abandoned.Cancel();
                drained.Wait();
                _ = task.Exception;
            }
        }
        return task.GetAwaiter().GetResult();
    }

    protected void Await(Func<CancellationToken, Task> work) => Await<bool>(async cancellationToken =>
    {
        await work(cancellationToken).ConfigureAwait(false);
        return true;
    });

    /// <summary>Queues a write for the pipeline thread; safe to call from the work of <see cref="Await{T}"/>.</summary>
    protected internal void Post(Action write) => _pending?.TryAdd(write);

    /// <summary>Queues a write like <see cref="Post"/>, first waiting while <see cref="MaxQueuedWrites"/> are
    /// queued: a producer faster than the pipeline (rows) then holds a few writes in memory, not the whole result.</summary>
    protected async Task PostAsync(Action write, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        Post(() =>
        {
            _room.Release();
            write();
        });
    }

    /// <summary>Collects an async sequence on the pipeline thread, writing each item it keeps as it arrives.</summary>
    protected void WriteEach<T, TOutput>(Func<CancellationToken, IAsyncEnumerable<T>> source, Func<T, TOutput> wrap, Func<TOutput, bool>? keep = null)
    {
        Await(async cancellationToken =>
        {
            await foreach (var item in source(cancellationToken).ConfigureAwait(false))
            {
                var output = wrap(item);
                if (keep is not null && !keep(output)) continue;
                Post(() => WriteObject(output));
            }
        });
    }

    /// <summary>Ends the pipeline with an error record (not connected, and the like).</summary>
    internal sealed class PipelineStoppedWithError(ErrorRecord record) : Exception(record.Exception.Message)
    {
        public ErrorRecord Record { get; } = record;
    }
}
