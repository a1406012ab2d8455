using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Binding;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// Base of cmdlets that start a long-running operation. By default they wait (with Write-Progress and the SDKs'
/// polling) and output the finished resource; -NoWait outputs the operation; -AsJob outputs a job whose output is
/// the finished resource; -Timeout bounds the wait.
/// </summary>
public abstract class OperationCmdlet : LakebaseCmdlet
{
    private static int s_progressId;

    [Parameter]
    public SwitchParameter NoWait { get; set; }

    [Parameter]
    public SwitchParameter AsJob { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Starts the operation, then waits, hands it to a job, or outputs it, as the switches ask. -Timeout is
    /// one deadline for all of it: the request that starts the operation, every poll and every retry (a job's wait
    /// included). <paramref name="then"/>, when given, is the rest of the work once the operation's result is there
    /// (a second change that needs the first); it runs in the wait or the job, so it cannot go with -NoWait.</summary>
    internal void Complete<TResource>(Func<LakebaseClient, CancellationToken, Task<Operation>> start, Func<TResource, object?> wrap, string activity,
        Func<LakebaseClient, TResource, TimeSpan?, CancellationToken, Task<TResource>>? then = null)
        where TResource : class
    {
        var client = Client;
        var deadline = new Deadline(Timeout);
        try
        {
            var operation = Await(cancellationToken => deadline.RunAsync(token => start(client, token),
                limit => $"Timed out after {limit} before the service answered ({activity}); the request may still take effect.", cancellationToken));
            if (NoWait)
            {
                WriteObject(new LakebaseOperation(operation));
                return;
            }
            var timeout = Timeout;
            // A create-or-update that had nothing to change answers with a finished operation and no name to poll.
            async Task<TResource?> ResultAsync(Deadline bound, IProgress<OperationWaitProgress>? progress, CancellationToken cancellationToken)
            {
                var result = operation.IsDone && operation.Error is null
                    ? LakebaseClient.ReadResponse<TResource>(operation)
                    : await client.WaitForResultAsync<TResource>(operation, progress, bound, cancellationToken).ConfigureAwait(false);
                return result is not null && then is not null ? await then(client, result, timeout, cancellationToken).ConfigureAwait(false) : result;
            }
            if (AsJob)
            {
                var owned = deadline;
                deadline = null; // the job's to dispose now
                var job = new LakebaseJob(MyInvocation.Line.Trim(), client.Host, async cancellationToken =>
                {
                    using (owned)
                    {
                        var result = await ResultAsync(owned, null, cancellationToken).ConfigureAwait(false);
                        return result is null ? null : wrap(result);
                    }
                });
                JobRepository.Add(job);
                WriteObject(job);
                return;
            }
            var progressId = Interlocked.Increment(ref s_progressId);
            var progress = new Progress(this, progressId, activity);
            try
            {
                var waited = deadline;
                var finished = Await(cancellationToken => ResultAsync(waited, progress, cancellationToken));
                if (finished is not null && wrap(finished) is { } output) WriteObject(output);
            }
            finally
            {
                WriteProgress(new ProgressRecord(progressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
        finally
        {
            deadline?.Dispose();
        }
    }

    /// <summary>What every New-* does: asks ShouldProcess (create, or with -Force create or update), then runs the
    /// create as an operation.</summary>
    internal void CompleteCreate<TResource>(string name, bool force, Func<LakebaseClient, CancellationToken, Task<Operation>> create,
        Func<TResource, object?> wrap, Func<LakebaseClient, TResource, TimeSpan?, CancellationToken, Task<TResource>>? then = null)
        where TResource : class
    {
        if (!ShouldProcess(name, force ? "Create, or update to the given settings if it exists" : "Create")) return;
        Complete(create, wrap, $"Creating {name}", then);
    }

    /// <summary>What every Set-* does once it has the changes: refuses an empty change (<paramref name="give"/> says
    /// what to give), asks ShouldProcess naming the mask paths, then runs the update as an operation.</summary>
    internal void CompleteUpdate<TResource>(string name, IReadOnlyCollection<string> mask, string give,
        Func<LakebaseClient, CancellationToken, Task<Operation>> update, Func<TResource, object?> wrap)
        where TResource : class
    {
        if (mask.Count == 0) throw new InvalidParametersException($"Nothing to change: {give}.");
        if (!ShouldProcess(name, $"Update {string.Join(", ", mask)}")) return;
        Complete(update, wrap, $"Updating {name}");
    }

    /// <summary>For operations that finish with an empty result (deletes, undeletes): nothing is output.</summary>
    internal void Complete(Func<LakebaseClient, CancellationToken, Task<Operation>> start, string activity) =>
        Complete<object>(start, _ => null, activity);

    /// <summary>Forwards wait progress to Write-Progress on the pipeline thread.</summary>
    private sealed class Progress(OperationCmdlet cmdlet, int id, string activity) : IProgress<OperationWaitProgress>
    {
        public void Report(OperationWaitProgress value) => cmdlet.Post(() => cmdlet.WriteProgress(
            new ProgressRecord(id, activity, $"Waiting for {value.OperationName} ({value.Elapsed.TotalSeconds:0} s)")));
    }
}
