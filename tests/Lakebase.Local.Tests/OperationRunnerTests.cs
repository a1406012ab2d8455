using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>What a client reads of an operation, as the work behind it finishes.</summary>
public sealed class OperationRunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lakebase-operations-").FullName;

    [Fact]
    public async Task The_answer_to_a_request_is_not_changed_by_its_work_finishing_while_the_answer_is_sent()
    {
        var store = new StateStore(Path.Combine(_directory, "state.db"));
        await using var runner = new OperationRunner(store, NullLogger<OperationRunner>.Instance);
        var project = new Project { Name = "projects/fast" };

        // Work that is done at once, as a display name's update is: it finishes before the caller has answered.
        var answer = runner.Start(ResourceName.Parse(project.Name), OperationVerb.Update, _ => { }, _ => Task.FromResult<object?>(project));
        await runner.WhenIdleAsync();

        Assert.False(answer.IsDone);
        Assert.Null(answer.Response);
        var recorded = store.GetOperation(answer.Name!)!;
        Assert.True(recorded.IsDone);
        Assert.Equal("projects/fast", recorded.Response!.Value.GetProperty("name").GetString());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
