using System.Management.Automation;
using Lakebase.PowerShell.Output;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// The job -AsJob returns: waits for a long-running operation in the background and outputs the finished resource.
/// It works with Get-Job, Wait-Job, Receive-Job, Stop-Job and Remove-Job like any other job.
/// </summary>
public sealed class LakebaseJob : Job
{
    private readonly CancellationTokenSource _stop = new();
    private readonly string _location;

    internal LakebaseJob(string command, string location, Func<CancellationToken, Task<object?>> wait) : base(command)
    {
        PSJobTypeName = "LakebaseJob";
        _location = location;
        SetJobState(JobState.Running);
        _ = RunAsync(wait);
    }

    public override string Location => _location;
    public override string StatusMessage => JobStateInfo.State.ToString();
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0;

    public override void StopJob()
    {
        _stop.Cancel();
        Finished.WaitOne(TimeSpan.FromSeconds(30));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _stop.Dispose();
        base.Dispose(disposing);
    }

    private async Task RunAsync(Func<CancellationToken, Task<object?>> wait)
    {
        try
        {
            var result = await wait(_stop.Token).ConfigureAwait(false);
            if (result is not null) Output.Add(PSObject.AsPSObject(result));
            SetJobState(JobState.Completed);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            SetJobState(JobState.Stopped);
        }
        catch (Exception ex)
        {
            Error.Add(ErrorRecords.From(ex, Command));
            SetJobState(JobState.Failed);
        }
    }
}
