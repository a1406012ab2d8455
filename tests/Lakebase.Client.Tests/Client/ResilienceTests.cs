using System.Net;
using System.Text.Json;
using Lakebase.Contract.Models;
using Xunit;

namespace Lakebase.Client.Tests.Client;

/// <summary>Polls that fail on the way, deadlines, and calls re-sent after their answer was lost.</summary>
public class ResilienceTests
{
    private const string Operation = "projects/p/branches/b/operations/op1";
    private const string BranchJson = """{"name":"projects/p/branches/b","status":{"current_state":"READY","is_protected":false}}""";

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string message) =>
        Http.Json(status, $$"""{"error_code":"{{code}}","message":"{{message}}"}""");

    private static HttpRequestException LostAnswer() => new(HttpRequestError.ResponseEnded, "The response ended prematurely.");

    /// <summary>Answers API calls in turn (the last one repeated); SCIM Me is answered apart.</summary>
    private static RecordingHandler Answers(params Func<HttpResponseMessage>[] answers) =>
        new((request, call, _) => Task.FromResult(request.IsScimMe() ? Http.Json("""{"userName":"u"}""") : answers[Math.Min(call - 1, answers.Length - 1)]()));

    [Fact]
    public async Task A_poll_answered_500_is_polled_again()
    {
        var handler = Answers(
            () => Error(HttpStatusCode.InternalServerError, "INTERNAL_ERROR", "boom"),
            () => Http.Json($$"""{"name":"{{Operation}}","done":true,"response":{{BranchJson}}}"""));
        using var client = await TestClient.ConnectAsync(handler);
        var branch = await client.WaitForResultAsync<Branch>(new Operation { Name = Operation });
        Assert.Equal("READY", branch!.Status!.CurrentState);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task A_dropped_poll_is_polled_again()
    {
        var calls = 0;
        var handler = new RecordingHandler((request, _, _) => request.IsScimMe() ? Task.FromResult(Http.Json("{}"))
            : Interlocked.Increment(ref calls) <= 2 ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : Task.FromResult(Http.Json($$"""{"name":"{{Operation}}","done":true,"response":{{BranchJson}}}""")));
        using var client = await TestClient.ConnectAsync(handler);
        Assert.NotNull(await client.WaitForResultAsync<Branch>(new Operation { Name = Operation }));
    }

    [Fact]
    public async Task The_operations_own_error_ends_the_wait_at_once()
    {
        var handler = Answers(
            () => Error(HttpStatusCode.InternalServerError, "INTERNAL_ERROR", "boom"),
            () => Http.Json($$$"""{"name":"{{{Operation}}}","done":true,"error":{"error_code":"INVALID_STATE","message":"source not ready"}}"""),
            () => throw new InvalidOperationException("polled after the operation failed"));
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.WaitForOperationAsync(new Operation { Name = Operation }));
        Assert.Equal(("INVALID_STATE", 0), (error.ErrorCode, error.HttpStatus));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task Polls_failing_for_the_retry_budget_end_with_the_last_error_and_how_to_resume()
    {
        var handler = Answers(() => Error(HttpStatusCode.BadGateway, "BAD_GATEWAY", "upstream gone"));
        using var client = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(budget: TimeSpan.FromMilliseconds(100)));
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.WaitForOperationAsync(new Operation { Name = Operation }));
        Assert.Equal(("BAD_GATEWAY", 502), (error.ErrorCode, error.HttpStatus));
        Assert.Contains("upstream gone", error.Message);
        Assert.Contains($"may still be running: resume with `Wait-LakebaseOperation {Operation}`", error.Message);
    }

    [Fact]
    public async Task A_deadline_cuts_a_poll_that_is_still_retrying_503s()
    {
        var handler = Answers(() => Http.Status(HttpStatusCode.ServiceUnavailable, "1"));
        var slowRetries = TestClient.FastRetry(budget: TimeSpan.FromMinutes(5)) with { RetryAfterUnit = TimeSpan.FromSeconds(1) };
        using var client = await TestClient.ConnectAsync(handler, retry: slowRetries);
        using var deadline = new Deadline(TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForOperationAsync(new Operation { Name = Operation }, null, deadline));
        Assert.Equal($"Timed out after 0.3 s waiting for operation {Operation}. The operation may still be running: resume with `Wait-LakebaseOperation {Operation}`.",
            error.Message);
    }

    /// <summary>The first create's answer is lost; its re-send finds the branch (BranchJson) the first one made.</summary>
    private static RecordingHandler LostCreateAnswer()
    {
        var posts = 0;
        return new RecordingHandler((request, _, _) => request switch
        {
            _ when request.IsScimMe() => Task.FromResult(Http.Json("{}")),
            { Method: "POST" } when Interlocked.Increment(ref posts) == 1 => throw LostAnswer(),
            { Method: "POST" } => Task.FromResult(Error(HttpStatusCode.Conflict, "ALREADY_EXISTS", "branch with that name already exists")),
            _ => Task.FromResult(Http.Json(BranchJson)),
        });
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_returns_what_it_made_and_is_resent_unchanged()
    {
        var handler = LostCreateAnswer();
        using var client = await TestClient.ConnectAsync(handler);
        var operation = await client.CreateBranchAsync("projects/p", "b", new Branch { Spec = new BranchSpec { IsProtected = false, Ttl = TimeSpan.FromHours(1) } });
        var branch = await client.WaitForResultAsync<Branch>(operation);

        Assert.Equal("projects/p/branches/b", branch!.Name);
        var sent = handler.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, sent.Count);
        Assert.Equal((sent[0].Url, sent[0].Body), (sent[1].Url, sent[1].Body));
        Assert.Equal("branch_id=b", sent[1].RawQuery);
        JsonAssert.Equal(System.Text.Json.Nodes.JsonNode.Parse("""{"spec":{"is_protected":false,"ttl":"3600s"}}"""), sent[1].Json);
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_fails_when_what_exists_differs()
    {
        var handler = LostCreateAnswer();
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() =>
            client.CreateBranchAsync("projects/p", "b", new Branch { Spec = new BranchSpec { IsProtected = true, NoExpiry = true } }));
        Assert.Equal(("ALREADY_EXISTS", 409), (error.ErrorCode, error.HttpStatus));
        Assert.Contains("An earlier attempt of this call, whose answer was lost, may have created it", error.Message);
        Assert.Contains("spec.is_protected", error.Message);
    }

    [Fact]
    public async Task A_create_refused_without_a_lost_answer_stays_refused()
    {
        var handler = Answers(() => Error(HttpStatusCode.Conflict, "ALREADY_EXISTS", "branch with that name already exists"));
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.CreateBranchAsync("projects/p", "b", new Branch { Spec = new BranchSpec() }));
        Assert.False(error.AfterLostAnswer);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_delete_whose_answer_was_lost_and_then_finds_nothing_is_done()
    {
        var deletes = 0;
        var handler = new RecordingHandler((request, _, _) => request switch
        {
            _ when request.IsScimMe() => Task.FromResult(Http.Json("{}")),
            _ when Interlocked.Increment(ref deletes) == 1 => throw LostAnswer(),
            _ => Task.FromResult(Error(HttpStatusCode.NotFound, "NOT_FOUND", "branch id not found")),
        });
        using var client = await TestClient.ConnectAsync(handler);
        var operation = await client.DeleteBranchAsync("projects/p/branches/b", purge: true);
        Assert.True(operation.IsDone);
        Assert.Null(await client.WaitForResultAsync<Branch>(operation));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public void A_requested_spec_matches_a_status_field_by_field()
    {
        var status = JsonDocument.Parse("""
            {"source_branch":"projects/p/branches/production","is_protected":false,"expire_time":"2026-12-01T10:00:00.000001Z",
             "source_branch_lsn":"0/3a1b2c8","default_endpoint_settings":{"autoscaling_limit_min_cu":0.5,"suspend_timeout_duration":"300.000s"}}
            """).RootElement;
        Assert.Empty(RequestedState.Differences(new BranchSpec
        {
            SourceBranch = "projects/p/branches/production", ExpireTime = DateTimeOffset.Parse("2026-12-01T10:00:00Z"), SourceBranchLsn = "0/3A1B2C8",
            Ttl = TimeSpan.FromDays(1),
        }, status));
        Assert.Equal(["spec.is_protected"], RequestedState.Differences(new BranchSpec { IsProtected = true }, status));
        Assert.Empty(RequestedState.Differences(new ProjectSpec
        {
            DefaultEndpointSettings = new ProjectDefaultEndpointSettings { AutoscalingLimitMinCu = 0.5, SuspendTimeoutDuration = TimeSpan.FromMinutes(5) },
        }, status));
        Assert.Equal(["spec.default_endpoint_settings.autoscaling_limit_min_cu"], RequestedState.Differences(new ProjectSpec
        {
            DefaultEndpointSettings = new ProjectDefaultEndpointSettings { AutoscalingLimitMinCu = 1 },
        }, status));
    }
}
