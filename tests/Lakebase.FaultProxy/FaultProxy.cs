using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lakebase.FaultProxy;

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of one upstream (Lakebase Local) that fails requests as its rules say: error
/// statuses with the service's body, answers lost after the upstream acted, dropped connections. Its own control API,
/// under /_faults, replaces the rules (PUT /_faults/rules with a JSON array) and reports what it did (GET /_faults/stats).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    public const string ControlPrefix = "/_faults";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Content-Length" };
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Random _random;
    private readonly object _gate = new();
    private List<FaultRule> _rules = [];
    private int[] _hits = [];
    private long _forwarded;

    private FaultProxy(WebApplication app, Uri upstream, int? seed)
    {
        _app = app;
        _upstream = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = upstream, Timeout = Timeout.InfiniteTimeSpan };
        _random = seed is { } value ? new Random(value) : new Random();
    }

    /// <summary>The proxy's address: point the client here instead of at the upstream.</summary>
    public Uri Url { get; private set; } = null!;

    public static async Task<FaultProxy> StartAsync(Uri upstream, int port = 0, int? seed = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var proxy = new FaultProxy(app, upstream, seed);
        app.Run(proxy.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        proxy.Url = new Uri(app.Urls.First());
        return proxy;
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get { lock (_gate) return _rules.ToList(); }
        set
        {
            lock (_gate)
            {
                _rules = value.ToList();
                _hits = new int[_rules.Count];
            }
        }
    }

    /// <summary>How many requests each rule (as last set) has failed, and how many were forwarded and answered.</summary>
    public FaultStats Stats
    {
        get { lock (_gate) return new FaultStats(_hits.ToArray(), Interlocked.Read(ref _forwarded)); }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments(ControlPrefix))
        {
            await ControlAsync(context).ConfigureAwait(false);
            return;
        }
        var rule = Pick(request.Method, request.Path.Value ?? "/");
        switch (rule?.Fault)
        {
            case FaultKind.Status:
                context.Response.StatusCode = rule.Status;
                if (rule.RetryAfter is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsJsonAsync(new Dictionary<string, string>
                {
                    ["error_code"] = rule.Code,
                    ["message"] = rule.Message ?? $"Injected fault: HTTP {rule.Status}.",
                }).ConfigureAwait(false);
                return;
            case FaultKind.Drop:
                context.Abort();
                return;
        }
        using var answer = await ForwardAsync(context).ConfigureAwait(false);
        if (rule?.Fault == FaultKind.LoseAnswer)
        {
            context.Abort();
            return;
        }
        Interlocked.Increment(ref _forwarded);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            if (!HopHeaders.Contains(name)) context.Response.Headers[name] = values.ToArray();
        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private FaultRule? Pick(string method, string path)
    {
        lock (_gate)
        {
            var roll = _random.NextDouble();
            var share = 0.0;
            for (var i = 0; i < _rules.Count; i++)
            {
                var rule = _rules[i];
                if (rule.Times is <= 0 || !rule.Matches(method, path)) continue;
                share += rule.Probability;
                if (roll >= share) continue;
                _hits[i]++;
                if (rule.Times is { } times) _rules[i] = rule with { Times = times - 1 };
                return rule;
            }
            return null;
        }
    }

    private async Task<HttpResponseMessage> ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            body.Position = 0;
            message.Content = new StreamContent(body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (HopHeaders.Contains(name)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, values.ToArray()))
                message.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        return await _upstream.SendAsync(message, HttpCompletionOption.ResponseContentRead, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ControlAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (HttpMethods.IsPut(context.Request.Method) && path == ControlPrefix + "/rules")
        {
            Rules = await JsonSerializer.DeserializeAsync<List<FaultRule>>(context.Request.Body, Json).ConfigureAwait(false) ?? [];
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        if (HttpMethods.IsGet(context.Request.Method) && path == ControlPrefix + "/stats")
        {
            await context.Response.WriteAsJsonAsync(Stats, Json).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }
}

/// <summary>Rule hits in rule order, and the requests forwarded and answered.</summary>
public sealed record FaultStats(int[] Hits, long Forwarded);
