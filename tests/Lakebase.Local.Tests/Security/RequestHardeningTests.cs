using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>Hostile REST requests: dot segments and control characters in paths, methods and sizes the API does not
/// serve, and text that is not valid Unicode. Each gets the service's error body and touches nothing.</summary>
public sealed class RequestHardeningTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_dot_segment_or_control_character_in_a_path_is_refused_and_never_reaches_the_parent()
    {
        var id = SharedServer.NewId("path");
        await Server.CreateProjectAsync(id);

        foreach (var (method, suffix) in new[]
        {
            ("DELETE", "branches/%2e%2e"), ("DELETE", "branches/%2E%2E/"), ("DELETE", "branches/.."), ("DELETE", "branches/production/endpoints/%2e"),
            ("GET", "branches/production/roles/.."), ("GET", "branches/production/roles/."), ("GET", "branches/production%0a"),
        })
        {
            using var response = await RawRequestAsync($"{method} /api/2.0/postgres/projects/{id}/{suffix} HTTP/1.1");
            Assert.True(response.Status == 400, $"{method} {suffix}: {response.Status} {response.Body}");
            Assert.Equal("INVALID_PARAMETER_VALUE", JsonNode.Parse(response.Body)!["error_code"]!.GetValue<string>());
        }
        // Kestrel refuses a NUL in the decoded path itself, before any application code runs, with a 400 whose body
        // it does not let an application write (aspnet/KestrelHttpServer#2947); what matters is that it never routes.
        using (var nul = await RawRequestAsync($"DELETE /api/2.0/postgres/projects/{id}/branches/production%00 HTTP/1.1"))
            Assert.Equal(400, nul.Status);
        var project = await Server.GetAsync($"projects/{id}");
        Assert.Null(project["delete_time"]);
        var branches = await Server.GetAsync($"projects/{id}/branches");
        Assert.Single(branches["branches"]!.AsArray());
        Assert.Single((await Server.GetAsync($"projects/{id}/branches/production/endpoints"))["endpoints"]!.AsArray());
    }

    [Theory]
    [InlineData("PUT", "/api/2.0/postgres/projects", 405)]
    [InlineData("OPTIONS", "/api/2.0/postgres/projects", 405)]
    [InlineData("GET", "/api/2.0/nothing/here", 404)]
    [InlineData("GET", "/", 404)]
    [InlineData("POST", "/api/2.0/lakebase-local/health", 405)]
    public async Task A_method_or_path_the_API_does_not_serve_gets_the_service_error_body(string method, string path, int status)
    {
        using var response = await Server.SendRawAsync(new HttpMethod(method), path, null);
        Assert.Equal(status, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False(string.IsNullOrEmpty(error["error_code"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(error["message"]?.GetValue<string>()));
    }

    [Fact]
    public async Task HEAD_is_not_served_and_says_so_in_the_status()
    {
        using var response = await Server.SendRawAsync(HttpMethod.Head, "/api/2.0/postgres/projects", null);
        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_oversized_URL_or_header_set_gets_414_or_431_with_the_service_error_body()
    {
        using var longUrl = await Server.SendRawAsync(HttpMethod.Get, "/api/2.0/postgres/projects?page_token=" + new string('a', 20_000), null);
        Assert.Equal(414, (int)longUrl.StatusCode);
        Assert.NotNull(JsonNode.Parse(await longUrl.Content.ReadAsStringAsync())!["error_code"]);

        var request = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/postgres/projects");
        for (var i = 0; i < 8; i++) request.Headers.Add($"X-Padding-{i}", new string('b', 8_000));
        using var bigHeaders = await Server.Http.SendAsync(request);
        Assert.Equal(431, (int)bigHeaders.StatusCode);
        Assert.NotNull(JsonNode.Parse(await bigHeaders.Content.ReadAsStringAsync())!["error_code"]);
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("a\\udc00b")]
    [InlineData("\\ud800\\u0041")]
    public async Task A_lone_surrogate_in_a_string_is_refused_not_stored_as_a_replacement_character(string escaped)
    {
        var id = SharedServer.NewId("utf");
        using var response = await Server.SendRawAsync(HttpMethod.Post, $"projects?project_id={id}",
            $$$"""{"spec":{"display_name":"{{{escaped}}}"}}""");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("MALFORMED_REQUEST", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error_code"]!.GetValue<string>());
        var missing = await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync($"projects/{id}"));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Invalid_UTF8_bytes_in_a_body_are_refused()
    {
        var id = SharedServer.NewId("utf");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/2.0/postgres/projects?project_id={id}")
        {
            Content = new ByteArrayContent([.. Encoding.ASCII.GetBytes("{\"spec\":{\"display_name\":\"a"), 0xC3, 0x28, .. Encoding.ASCII.GetBytes("\"}}")]),
        };
        using var response = await Server.Http.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("MALFORMED_REQUEST", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_surrogate_pair_written_as_escapes_is_kept()
    {
        var id = SharedServer.NewId("utf");
        await Server.RunAsync(HttpMethod.Post, $"projects?project_id={id}", """{"spec":{"display_name":"db \ud83d\ude00"}}""");
        Assert.Equal("db \U0001F600", (await Server.GetAsync($"projects/{id}"))["status"]!["display_name"]!.GetValue<string>());
    }

    /// <summary>Sends a request line as written, so nothing on the client side normalises or re-encodes the path.</summary>
    private async Task<RawResponse> RawRequestAsync(string requestLine)
    {
        var api = new Uri(Server.Info.ApiUrl!);
        using var socket = new TcpClient();
        await socket.ConnectAsync(api.Host, api.Port);
        var stream = socket.GetStream();
        var token = Server.Http.DefaultRequestHeaders.Authorization!.Parameter;
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: {api.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var status = int.Parse(text.Split(' ')[1]);
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        if (text.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        return new RawResponse(status, body);
    }

    private static string Dechunk(string body)
    {
        var text = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd], 16);
            if (size == 0) return text.ToString();
            text.Append(body, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private sealed record RawResponse(int Status, string Body) : IDisposable
    {
        public void Dispose() { }
    }
}
