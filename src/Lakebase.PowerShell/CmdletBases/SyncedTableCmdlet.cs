using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// Base of the cmdlets that change a synced table and wait for its sync: after the operation (or pipeline update)
/// they poll the table, with a progress bar fed by ongoing_sync_progress, and output it once synced.
/// </summary>
public abstract class SyncedTableCmdlet : OperationCmdlet
{
    private static int s_progressId;

    /// <summary>Waits for <paramref name="start"/>'s result, then for the sync; -AsJob does both in a job.</summary>
    internal void WaitForSync(string name, Func<LakebaseClient, CancellationToken, Task> start, Func<SyncedTable, CancellationToken, Task<bool>>? isDone, string activity)
    {
        var client = Client;
        var timeout = Timeout;
        if (AsJob)
        {
            var job = new LakebaseJob(MyInvocation.Line.Trim(), client.Host, async cancellationToken =>
            {
                await start(client, cancellationToken).ConfigureAwait(false);
                return new LakebaseSyncedTable(await client.WaitForSyncAsync(name, null, timeout, isDone, cancellationToken).ConfigureAwait(false));
            });
            JobRepository.Add(job);
            WriteObject(job);
            return;
        }
        var progressId = Interlocked.Increment(ref s_progressId);
        try
        {
            Await(cancellationToken => start(client, cancellationToken));
            var progress = new Progress<SyncedTable>(table => Post(() => WriteProgress(Record(progressId, activity, table))));
            var synced = Await(cancellationToken => client.WaitForSyncAsync(name, progress, timeout, isDone, cancellationToken));
            WriteObject(new LakebaseSyncedTable(synced));
        }
        finally
        {
            WriteProgress(new ProgressRecord(progressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    private static ProgressRecord Record(int id, string activity, SyncedTable table)
    {
        var progress = table.Status?.OngoingSyncProgress;
        var rows = progress?.SyncedRowCount is { } synced
            ? progress.TotalRowCount is { } total ? $"{synced:N0} of {total:N0} rows" : $"{synced:N0} rows"
            : table.Status?.Message ?? "Provisioning";
        var record = new ProgressRecord(id, activity, rows);
        if (progress?.SyncProgressCompletion is { } done) record.PercentComplete = (int)Math.Clamp(done * 100, 0, 100);
        if (progress?.EstimatedCompletionTimeSeconds is { } left) record.SecondsRemaining = (int)Math.Ceiling(left);
        return record;
    }
}
