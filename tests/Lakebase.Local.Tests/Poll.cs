using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>Waiting for what Lakebase Local does in the background.</summary>
internal static class Poll
{
    /// <summary>Waits until <paramref name="done"/>, looking four times a second, and fails with <paramref name="failure"/>
    /// after <paramref name="within"/>.</summary>
    public static async Task UntilAsync(Func<bool> done, TimeSpan within, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + within;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure());
            await Task.Delay(250);
        }
    }
}
