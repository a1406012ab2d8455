namespace Lakebase.Local.Platform;

/// <summary>
/// A BackgroundService whose loop throws stops the whole server (the .NET host's default), so a background loop runs
/// each round of its work through here: whatever fails it goes to <c>failed</c> (to be logged), and the next round
/// tries again. Only the server's own stop ends the loop.
/// </summary>
internal static class BackgroundRound
{
    public static async Task RunAsync(Func<Task> round, Action<Exception> failed, CancellationToken stopping)
    {
        try
        {
            await round().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            failed(ex);
        }
    }
}
