using Xunit;

namespace Lakebase.Client.Tests.Client;

public class BranchResetTests
{
    [Fact]
    public async Task A_workspace_refuses_reset_without_sending_anything()
    {
        var handler = new RecordingHandler(request => request.IsScimMe() ? Http.Json("{}") : throw new InvalidOperationException("nothing may be sent"));
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => client.ResetBranchAsync("projects/p/branches/dev"));
        Assert.Contains("has no reset from parent", error.Message);
        Assert.Contains("would change its endpoint's host", error.Message);
        Assert.Empty(handler.Requests);
    }
}
