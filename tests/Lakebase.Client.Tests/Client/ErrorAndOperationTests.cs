using System.Net;
using Lakebase.Contract.Models;
using Xunit;

namespace Lakebase.Client.Tests.Client;

public class ErrorParsingTests
{
    private static async Task<LakebaseApiException> Fail(HttpResponseMessage answer, string name = "projects/p/branches/b")
    {
        var handler = new RecordingHandler(request => request.IsScimMe() ? Http.Json("{}") : answer);
        using var client = await TestClient.ConnectAsync(handler);
        return await Assert.ThrowsAsync<LakebaseApiException>(() => client.GetBranchAsync(name));
    }

    [Fact]
    public async Task Json_error_body_gives_code_message_status_target_details_and_request_id()
    {
        var error = await Fail(Http.Json(HttpStatusCode.NotFound, """
            {"error_code":"NOT_FOUND","message":"branch id not found [TraceId: 00-abc]",
             "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RESOURCE_DOES_NOT_EXIST","domain":"databricks.com"},
                        {"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"req-42","serving_data":""}]}
            """));
        Assert.Equal("NOT_FOUND", error.ErrorCode);
        Assert.Equal("branch id not found [TraceId: 00-abc]", error.Message);
        Assert.Equal(404, error.HttpStatus);
        Assert.Equal("projects/p/branches/b", error.Target);
        Assert.Equal(2, error.Details!.Value.GetArrayLength());
        Assert.Equal("req-42", error.RequestId);
    }

    [Fact]
    public async Task Request_id_header_is_used_when_details_have_none()
    {
        var answer = Http.Json(HttpStatusCode.BadRequest, """{"error_code":"BAD_REQUEST","message":"m"}""");
        answer.Headers.Add("x-request-id", "hdr-1");
        Assert.Equal("hdr-1", (await Fail(answer)).RequestId);
    }

    [Theory]
    [InlineData("""{"error_code":"INVALID_PARAMETER_VALUE"}""", "INVALID_PARAMETER_VALUE", "request failed")]
    [InlineData("""{"error_code":"X","message":"m","error":"legacy wins"}""", "X", "legacy wins")]
    [InlineData("""{"message":"no code"}""", "BAD_REQUEST", "no code")]
    [InlineData("""{"error_code":1234,"message":"numeric"}""", "1234", "numeric")]
    [InlineData("""{"detail":"User not found","status":"404","scimType":"invalidValue"}""", "SCIM_404", "invalidValue User not found")]
    [InlineData("INVALID_STATE: the branch is busy", "INVALID_STATE", "the branch is busy")]
    [InlineData("<html><body><pre>Bad things &amp; more</pre></body></html>", "BAD_REQUEST", "Bad things & more")]
    [InlineData("<html><head><title>400 Bad Request</title></head></html>", "BAD_REQUEST", "400 Bad Request")]
    [InlineData("something odd", "UNKNOWN", "something odd")]
    [InlineData("", "BAD_REQUEST", "Bad Request")]
    public async Task Bodies_are_parsed_in_sdk_order(string body, string code, string message)
    {
        var error = await Fail(Http.Text(HttpStatusCode.BadRequest, body));
        Assert.Equal((code, message, 400), (error.ErrorCode, error.Message, error.HttpStatus));
    }

    [Fact]
    public async Task Empty_body_uses_the_reason_phrase()
    {
        var answer = Http.Status(HttpStatusCode.Forbidden);
        answer.ReasonPhrase = "Forbidden Fruit";
        var error = await Fail(answer);
        Assert.Equal(("FORBIDDEN_FRUIT", "Forbidden Fruit", 403), (error.ErrorCode, error.Message, error.HttpStatus));
    }

    [Fact]
    public async Task Errors_never_carry_the_token()
    {
        var error = await Fail(Http.Json(HttpStatusCode.Unauthorized, """{"error_code":"UNAUTHENTICATED","message":"bad token"}"""));
        Assert.DoesNotContain(TestClient.Token, error.ToString());
        Assert.DoesNotContain("Bearer", error.ToString());
    }
}

public class OperationWaitTests
{
    private const string Name = "projects/p/branches/b/operations/op+1/x=";
    private const string BranchJson = """{"name":"projects/p/branches/b","status":{"current_state":"READY"}}""";

    private static RecordingHandler Polls(params string[] operations) =>
        new((request, call, _) => Task.FromResult(request.IsScimMe() ? Http.Json("{}") : Http.Json(operations[Math.Min(call - 1, operations.Length - 1)])));

    [Fact]
    public async Task Gets_the_operation_even_when_the_first_answer_is_done()
    {
        var handler = Polls($$"""{"name":"{{Name}}","done":true,"response":{{BranchJson}}}""");
        using var client = await TestClient.ConnectAsync(handler);
        var done = await client.WaitForOperationAsync(new Operation { Name = Name, Done = true, Response = default });
        Assert.True(done.IsDone);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(("GET", "/api/2.0/postgres/" + Name), (request.Method, request.Path));
    }

    [Fact]
    public async Task Polls_until_done_reports_progress_and_returns_the_typed_response()
    {
        var handler = Polls(
            $$"""{"name":"{{Name}}"}""",
            $$"""{"name":"{{Name}}","done":false}""",
            "{\"name\":\"" + Name + """
            ","done":true,"metadata":{"@type":"t"},"response":{"@type":"type.googleapis.com/databricks.postgres.v1.Branch","name":"projects/p/branches/b","status":{"current_state":"READY"}}}
            """);
        var polls = new List<int>();
        var schedule = new List<int>();
        using var client = await TestClient.ConnectAsync(handler, pollDelay: attempt => { schedule.Add(attempt); return TimeSpan.FromMilliseconds(1); });
        var branch = await client.WaitForResultAsync<Branch>(new Operation { Name = Name }, new SyncProgress(p => polls.Add(p.Poll)));
        Assert.Equal("projects/p/branches/b", branch!.Name);
        Assert.Equal("READY", branch.Status!.CurrentState);
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal([1, 2], polls);
        Assert.Equal([1, 2], schedule);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"@type":"type.googleapis.com/google.protobuf.Empty"}""")]
    public async Task An_empty_response_is_null(string response)
    {
        var handler = Polls($$"""{"name":"{{Name}}","done":true,"response":{{response}}}""");
        using var client = await TestClient.ConnectAsync(handler);
        Assert.Null(await client.WaitForResultAsync<Branch>(new Operation { Name = Name }));
    }

    [Fact]
    public async Task A_failed_operation_throws_its_error()
    {
        var handler = Polls($$$"""
            {"name":"{{{Name}}}","done":true,"error":{"error_code":"INVALID_PARAMETER_VALUE","message":"min must equal max",
             "details":[{"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"r-9"}]}}
            """);
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.WaitForOperationAsync(new Operation { Name = Name }));
        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Contains("min must equal max", error.Message);
        Assert.Equal(0, error.HttpStatus);
        Assert.Equal("projects/p/branches/b", error.Target);
        Assert.Equal("r-9", error.RequestId);
    }

    [Fact]
    public async Task Done_without_response_is_an_error()
    {
        var handler = Polls($$"""{"name":"{{Name}}","done":true}""");
        using var client = await TestClient.ConnectAsync(handler);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.WaitForOperationAsync(new Operation { Name = Name }));
    }

    [Fact]
    public async Task Times_out()
    {
        var handler = Polls($$"""{"name":"{{Name}}","done":false}""");
        using var client = await TestClient.ConnectAsync(handler, pollDelay: _ => TimeSpan.FromMilliseconds(20));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForOperationAsync(new Operation { Name = Name }, timeout: TimeSpan.FromMilliseconds(100)));
        Assert.Contains(Name, error.Message);
        Assert.NotEmpty(handler.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        var handler = Polls($$"""{"name":"{{Name}}","done":false}""");
        using var client = await TestClient.ConnectAsync(handler, pollDelay: _ => TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WaitForOperationAsync(new Operation { Name = Name }, cancellationToken: cancel.Token));
    }

    [Fact]
    public void Poll_schedules()
    {
        Assert.InRange(LakebaseClient.DefaultPollDelay(1), TimeSpan.FromSeconds(1.05), TimeSpan.FromSeconds(1.75));
        Assert.InRange(LakebaseClient.DefaultPollDelay(25), TimeSpan.FromSeconds(10.05), TimeSpan.FromSeconds(10.75));
        Assert.Equal([25, 50, 100, 100, 100, 100], Enumerable.Range(1, 6).Select(a => LakebaseClient.LocalPollDelay(a).TotalMilliseconds));
        var custom = LakebaseClient.PollInterval(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));
        Assert.Equal([100, 200, 400, 500, 500], Enumerable.Range(1, 5).Select(a => custom(a).TotalMilliseconds));
    }

    [Fact]
    public async Task Lakebase_local_hosts_poll_fast_by_default()
    {
        var handler = new RecordingHandler();
        using var local = await LakebaseClient.ConnectAsync(new LakebaseConfig { Host = "http://127.0.0.1:8470", Token = "t" },
            new LakebaseClientOptions { Handler = handler }, CancellationToken.None);
        Assert.True(local.IsLocal);
        Assert.Equal(TimeSpan.FromMilliseconds(25), local.PollDelay(1));
    }

    private sealed class SyncProgress(Action<OperationWaitProgress> report) : IProgress<OperationWaitProgress>
    {
        public void Report(OperationWaitProgress value) => report(value);
    }
}
