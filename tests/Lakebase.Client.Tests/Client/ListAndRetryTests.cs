using System.Net;
using System.Net.Sockets;
using Lakebase.Contract.Models;
using Xunit;

namespace Lakebase.Client.Tests.Client;

public class PaginationTests
{
    [Fact]
    public async Task List_projects_follows_next_page_token_and_resends_other_parameters()
    {
        var handler = new RecordingHandler(request => (request.Query.GetValueOrDefault("page_token")) switch
        {
            null => Http.Json("""{"projects":[{"name":"projects/a"},{"name":"projects/b"}],"next_page_token":"t1"}"""),
            "t1" => Http.Json("""{"projects":[{"name":"projects/c"}],"next_page_token":"t+2/="}"""),
            "t+2/=" => Http.Json("""{"next_page_token":""}"""),
            _ => Http.Json(HttpStatusCode.BadRequest, "{}"),
        });
        using var client = await TestClient.ConnectAsync(handler);
        var names = new List<string?>();
        await foreach (var project in client.ListProjectsAsync(showDeleted: true)) names.Add(project.Name);

        Assert.Equal(["projects/a", "projects/b", "projects/c"], names);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(("GET", "/api/2.0/postgres/projects", "true"), (r.Method, r.Path, r.Query["show_deleted"])));
        Assert.Equal("show_deleted=true", handler.Requests[0].RawQuery);
        Assert.Equal("t1", handler.Requests[1].Query["page_token"]);
        Assert.Equal("t+2/=", handler.Requests[2].Query["page_token"]);
    }

    [Fact]
    public async Task Show_deleted_false_is_left_out_and_a_missing_item_array_is_empty()
    {
        var handler = new RecordingHandler(_ => Http.Json("{}"));
        using var client = await TestClient.ConnectAsync(handler);
        var branches = new List<Branch>();
        await foreach (var branch in client.ListBranchesAsync(Fixtures.Project)) branches.Add(branch);
        Assert.Empty(branches);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(($"/api/2.0/postgres/{Fixtures.Project}/branches", ""), (request.Path, request.RawQuery));
    }

    [Fact]
    public async Task Child_lists_use_their_collection_paths()
    {
        const string branch = Fixtures.Project + "/branches/main";
        var handler = new RecordingHandler(request => Http.Json(request.Path.Split('/')[^1] switch
        {
            "endpoints" => request.Query.ContainsKey("page_token") ? """{"endpoints":[{"name":"e2"}]}""" : """{"endpoints":[{"name":"e1"}],"next_page_token":"n"}""",
            "roles" => """{"roles":[{"name":"r1"},{"name":"r2"}]}""",
            "databases" => """{"databases":[{"name":"d1"}]}""",
            _ => "{}",
        }));
        using var client = await TestClient.ConnectAsync(handler);
        Assert.Equal(2, await client.ListEndpointsAsync(branch).CountAsync());
        Assert.Equal(2, await client.ListRolesAsync(branch).CountAsync());
        Assert.Equal(1, await client.ListDatabasesAsync(branch).CountAsync());
        Assert.Equal(
            [$"/api/2.0/postgres/{branch}/endpoints", $"/api/2.0/postgres/{branch}/endpoints", $"/api/2.0/postgres/{branch}/roles", $"/api/2.0/postgres/{branch}/databases"],
            handler.Requests.Select(r => r.Path));
    }
}

public class PaginationGuardTests
{
    [Fact]
    public async Task A_service_that_repeats_its_page_token_does_not_loop_forever()
    {
        var handler = new RecordingHandler(_ => Http.Json("""{"projects":[{"name":"projects/a"}],"next_page_token":"same"}"""));
        using var client = await TestClient.ConnectAsync(handler);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.ListProjectsAsync().CountAsync());
        Assert.Equal(2, handler.Requests.Count);
    }
}

internal static class AsyncEnumerableExtensions
{
    public static async Task<int> CountAsync<T>(this IAsyncEnumerable<T> source)
    {
        var count = 0;
        await foreach (var _ in source) count++;
        return count;
    }
}

public class RetryTests
{
    private static RecordingHandler Sequence(params Func<HttpResponseMessage>[] answers) =>
        new((request, call, _) => Task.FromResult(request.IsScimMe() ? Http.Json("""{"userName":"u"}""") : answers[Math.Min(call - 1, answers.Length - 1)]()));

    [Fact]
    public async Task Retries_429_honouring_an_integer_retry_after()
    {
        var delays = new List<TimeSpan>();
        var handler = Sequence(() => Http.Status(HttpStatusCode.TooManyRequests, "3"), () => Http.Json("""{"name":"projects/p"}"""));
        using var client = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(delays.Add));
        var project = await client.GetProjectAsync("projects/p");
        Assert.Equal("projects/p", project.Name);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(3)], delays); // 3 × the (test) Retry-After unit, no jitter
    }

    [Fact]
    public async Task Retries_503_and_falls_back_to_one_unit_without_retry_after_or_with_a_date()
    {
        var delays = new List<TimeSpan>();
        var handler = Sequence(
            () => Http.Status(HttpStatusCode.ServiceUnavailable),
            () => Http.Status(HttpStatusCode.ServiceUnavailable, "Wed, 21 Oct 2015 07:28:00 GMT"),
            () => Http.Json("{}"));
        using var client = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(delays.Add));
        await client.GetProjectAsync("projects/p");
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal([TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)], delays);
    }

    [Fact]
    public async Task Retries_posts_too_and_resends_the_same_body()
    {
        var handler = Sequence(() => Http.Status(HttpStatusCode.TooManyRequests, "0"), () => Http.Json("""{"name":"op"}"""));
        using var client = await TestClient.ConnectAsync(handler);
        await client.CreateProjectAsync("p", new Project { Spec = new ProjectSpec { DisplayName = "x" } });
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(handler.Requests[0].Body, handler.Requests[1].Body);
        Assert.Equal("""{"spec":{"display_name":"x"}}""", handler.Requests[1].Body);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Does_not_retry_other_statuses(HttpStatusCode status)
    {
        var handler = Sequence(() => Http.Json(status, """{"error_code":"X","message":"no"}"""));
        using var client = await TestClient.ConnectAsync(handler);
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.GetProjectAsync("projects/p"));
        Assert.Equal((int)status, error.HttpStatus);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Non_throttle_retries_back_off_linearly_to_the_cap()
    {
        var delays = new List<TimeSpan>();
        var calls = 0;
        var handler = new RecordingHandler((request, _, _) =>
        {
            if (request.IsScimMe()) return Task.FromResult(Http.Json("{}"));
            return ++calls <= 12
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"))
                : Task.FromResult(Http.Json("{}"));
        });
        using var client = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(delays.Add));
        await client.GetProjectAsync("projects/p");
        Assert.Equal(13, handler.Requests.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => TimeSpan.FromMilliseconds(Math.Min(i, 10))), delays);
    }

    [Fact]
    public async Task Default_delays_follow_the_sdk_schedule()
    {
        var options = new RetryOptions();
        for (var attempt = 0; attempt < 15; attempt++)
        {
            var delay = ApiTransport.ComputeDelay(options, attempt, null);
            Assert.InRange(delay, TimeSpan.FromSeconds(Math.Min(attempt + 1, 10)), TimeSpan.FromSeconds(Math.Min(attempt + 1, 10) + 1));
        }
        using var throttled = Http.Status(HttpStatusCode.TooManyRequests, "7");
        Assert.InRange(ApiTransport.ComputeDelay(options, 0, throttled), TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8));
        using var noHeader = Http.Status(HttpStatusCode.ServiceUnavailable);
        Assert.InRange(ApiTransport.ComputeDelay(options, 5, noHeader), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromMinutes(5), options.Budget);
        Assert.Equal(TimeSpan.FromSeconds(60), options.RequestTimeout);
    }

    [Fact]
    public async Task Retries_connection_reset_from_the_socket()
    {
        var handler = Sequence(
            () => throw new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset)),
            () => Http.Json("{}"));
        using var client = await TestClient.ConnectAsync(handler);
        await client.GetProjectAsync("projects/p");
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError)]
    [InlineData(HttpRequestError.SecureConnectionError)]
    public async Task Does_not_retry_dns_or_tls_failures(HttpRequestError kind)
    {
        var handler = Sequence(() => throw new HttpRequestException(kind, "nope"));
        using var client = await TestClient.ConnectAsync(handler);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetProjectAsync("projects/p"));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_request_that_exceeds_the_per_request_timeout_is_retried()
    {
        var handler = new RecordingHandler(async (request, call, token) =>
        {
            if (call == 1) await Task.Delay(TimeSpan.FromSeconds(30), token);
            return Http.Json("""{"name":"projects/p"}""");
        });
        using var client = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(requestTimeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal("projects/p", (await client.GetProjectAsync("projects/p")).Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_retried()
    {
        using var cancel = new CancellationTokenSource();
        var handler = new RecordingHandler(async (request, call, token) =>
        {
            if (request.IsScimMe()) return Http.Json("{}");
            cancel.Cancel();
            await Task.Delay(TimeSpan.FromSeconds(30), token);
            return Http.Json("{}");
        });
        using var client = await TestClient.ConnectAsync(handler);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetProjectAsync("projects/p", cancel.Token));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Gives_up_when_the_budget_is_spent_keeping_the_last_error_code_and_message()
    {
        var handler = Sequence(() =>
        {
            var refusal = Http.Json(HttpStatusCode.ServiceUnavailable, """{"error_code":"TEMPORARILY_UNAVAILABLE","message":"gateway overloaded"}""");
            refusal.Headers.TryAddWithoutValidation("Retry-After", "20");
            return refusal;
        });
        // Retry-After 20 ms per try, budget 150 ms: a handful of tries, then the last refusal as the service worded it.
        using var budgeted = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(budget: TimeSpan.FromMilliseconds(150)));
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => budgeted.GetProjectAsync("projects/p"));
        Assert.Equal(("TEMPORARILY_UNAVAILABLE", 503, "projects/p"), (error.ErrorCode, error.HttpStatus, error.Target));
        Assert.StartsWith("gateway overloaded. Gave up after retrying for 0.15 s", error.Message);
        Assert.True(handler.Requests.Count > 1);
    }

    [Fact]
    public async Task Gives_up_with_a_timeout_naming_the_last_failure_when_no_answer_came()
    {
        var handler = new RecordingHandler((request, _, _) => request.IsScimMe()
            ? Task.FromResult(Http.Json("""{"userName":"u"}"""))
            : throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (dbc-test:443)"));
        using var budgeted = await TestClient.ConnectAsync(handler, retry: TestClient.FastRetry(budget: TimeSpan.FromMilliseconds(150)));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => budgeted.GetProjectAsync("projects/p"));
        Assert.Contains("projects/p", error.Message);
        Assert.Contains("Connection refused", error.Message);
    }

    [Fact]
    public async Task The_budget_is_the_configs_retry_timeout_seconds()
    {
        var handler = Sequence(() => Http.Status(HttpStatusCode.TooManyRequests, "1"));
        var config = new LakebaseConfig { Host = TestClient.Host, Token = TestClient.Token, RetryTimeoutSeconds = 1 };
        using var client = await TestClient.ConnectAsync(handler, config, TestClient.FastRetry(budget: TimeSpan.FromMinutes(5)) with { RetryAfterUnit = TimeSpan.FromMilliseconds(100) });
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => client.GetProjectAsync("projects/p"));
        Assert.Contains("Gave up after retrying for 1 s", error.Message);
    }
}
