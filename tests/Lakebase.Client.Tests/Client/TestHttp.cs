using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Client.Tests.Client;

/// <summary>One request as the client sent it: the raw path and query (as on the wire), decoded query, body, headers.</summary>
internal sealed record RecordedRequest(string Method, string Url, string Path, string RawQuery, IReadOnlyDictionary<string, string> Query,
    string? Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset Time)
{
    public JsonNode? Json => Body is null ? null : JsonNode.Parse(Body);
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>An HttpMessageHandler that records every request and answers from a function; SCIM Me is answered by default.</summary>
internal sealed class RecordingHandler(Func<RecordedRequest, int, CancellationToken, Task<HttpResponseMessage>>? respond = null) : HttpMessageHandler
{
    public const string UserName = "someone@example.com";
    private readonly List<RecordedRequest> _requests = [];
    private int _calls;

    public RecordingHandler(Func<RecordedRequest, HttpResponseMessage> respond) : this((request, _, _) => Task.FromResult(respond(request))) { }

    /// <summary>The API requests (SCIM Me excluded).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) return _requests.Where(r => !r.Path.EndsWith("/scim/v2/Me", StringComparison.Ordinal)).ToList(); }
    }

    public IReadOnlyList<RecordedRequest> AllRequests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var original = uri.OriginalString;
        var afterHost = original[(original.IndexOf("//", StringComparison.Ordinal) + 2)..];
        var pathAndQuery = afterHost[afterHost.IndexOf('/', StringComparison.Ordinal)..];
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        var rawQuery = q < 0 ? "" : pathAndQuery[(q + 1)..];
        var query = rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers.NonValidated) headers[header.Key] = header.Value.ToString();
        string? body = null;
        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers.NonValidated) headers[header.Key] = header.Value.ToString();
            body = await request.Content.ReadAsStringAsync(cancellationToken);
        }
        var recorded = new RecordedRequest(request.Method.Method, original, path, rawQuery, query, body, headers, DateTimeOffset.UtcNow);
        int call;
        lock (_requests)
        {
            _requests.Add(recorded);
            call = _calls++;
        }
        if (path.EndsWith("/scim/v2/Me", StringComparison.Ordinal) && respond is null)
            return Http.Json(HttpStatusCode.OK, $$"""{"userName":"{{UserName}}","id":"123"}""");
        if (respond is null) return Http.Json(HttpStatusCode.OK, "{}");
        var response = await respond(recorded, call, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }
}

internal static class Http
{
    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Json(string json) => Json(HttpStatusCode.OK, json);

    public static HttpResponseMessage Text(HttpStatusCode status, string text, string mediaType = "text/plain") =>
        new(status) { Content = new StringContent(text, Encoding.UTF8, mediaType) };

    public static HttpResponseMessage Status(HttpStatusCode status, string? retryAfter = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("") };
        if (retryAfter is not null) response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        return response;
    }

    public static bool IsScimMe(this RecordedRequest request) => request.Path.EndsWith("/scim/v2/Me", StringComparison.Ordinal);
}

internal static class TestClient
{
    public const string Host = "https://dbc-test.cloud.databricks.com";
    public const string Token = "dapi-super-secret-token-1234";

    /// <summary>Retries in milliseconds instead of seconds: 1 unit of Retry-After = 1 ms, steps of 1 ms, no jitter.</summary>
    public static RetryOptions FastRetry(Action<TimeSpan>? onDelay = null, TimeSpan? budget = null, TimeSpan? requestTimeout = null) => new()
    {
        Budget = budget ?? TimeSpan.FromSeconds(5),
        Step = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(10),
        Jitter = TimeSpan.Zero,
        RetryAfterUnit = TimeSpan.FromMilliseconds(1),
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5),
        OnDelay = onDelay,
    };

    public static Task<LakebaseClient> ConnectAsync(RecordingHandler handler, LakebaseConfig? config = null, RetryOptions? retry = null,
        Func<int, TimeSpan>? pollDelay = null, TimeProvider? clock = null) =>
        LakebaseClient.ConnectAsync(config ?? new LakebaseConfig { Host = Host, Token = Token }, new LakebaseClientOptions
        {
            Handler = handler,
            Retry = retry ?? FastRetry(),
            PollDelay = pollDelay ?? (_ => TimeSpan.FromMilliseconds(1)),
            Clock = clock ?? TimeProvider.System,
        }, CancellationToken.None);
}

/// <summary>A clock tests move by hand (for token expiry).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>JSON equality by meaning: object key order ignored, numbers compared by value (4 == 4.0).</summary>
internal static class JsonAssert
{
    public static void Equal(JsonNode? expected, JsonNode? actual)
    {
        if (!Same(expected, actual))
            Assert.Fail($"JSON differs.\nExpected: {expected?.ToJsonString()}\nActual:   {actual?.ToJsonString()}");
    }

    private static bool Same(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && Same(p.Value, other)),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => Same(p.First, p.Second)),
        (JsonValue x, JsonValue y) => x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number
            ? x.GetValue<decimal>() == y.GetValue<decimal>()
            : x.ToJsonString() == y.ToJsonString(),
        _ => false,
    };
}

/// <summary>The CLI's recorded requests (Fixtures/), with placeholders replaced by concrete names.</summary>
internal static class Fixtures
{
    public const string Project = "projects/test-pg-proj-u1";

    private static readonly (string Placeholder, string Value)[] Substitutions =
    [
        ("[MY_ENDPOINT_ID]", Project + "/branches/main/endpoints/my-endpoint"),
        ("[MY_PROJECT_ID]", Project),
        ("[DEV_BRANCH_ID]", Project + "/branches/dev-branch"),
        ("[MY_DATABASE_ID]", Project + "/branches/main/databases/my-database"),
        ("[UNIQUE_NAME]", "u1"),
    ];

    private static string Root([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "../../Fixtures/databricks-cli-postgres"));

    /// <summary>A recording named "{resource}__{test}.{file}", e.g. branches__basic.out.requests.direct.json for
    /// acceptance__bundle__resources__postgres_branches__basic/out.requests.direct.json.</summary>
    public static IReadOnlyList<JsonObject> Load(string name)
    {
        var split = name.IndexOf(".out.", StringComparison.Ordinal);
        var text = File.ReadAllText(Path.Combine(Root(), "acceptance__bundle__resources__postgres_" + name[..split], name[(split + 1)..]));
        foreach (var (placeholder, value) in Substitutions) text = text.Replace(placeholder, value, StringComparison.Ordinal);
        var result = new List<JsonObject>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartObject) result.Add(JsonNode.Parse(ref reader)!.AsObject());
        }
        return result;
    }

    /// <summary>The one recorded request with this method (and path, when given) that is not a plain GET.</summary>
    public static JsonObject Find(string file, string method, string? path = null) =>
        Load(file).First(r => (string)r["method"]! == method && (path is null || (string)r["path"]! == path));

    /// <summary>Asserts method, raw path, decoded query and body all equal the recorded request.</summary>
    public static void AssertSame(JsonObject expected, RecordedRequest actual)
    {
        Assert.Equal((string)expected["method"]!, actual.Method);
        Assert.Equal((string)expected["path"]!, actual.Path);
        var expectedQuery = expected["q"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!) ?? [];
        Assert.Equal(expectedQuery.OrderBy(p => p.Key), actual.Query.OrderBy(p => p.Key));
        JsonAssert.Equal(expected["body"], actual.Json);
    }
}
