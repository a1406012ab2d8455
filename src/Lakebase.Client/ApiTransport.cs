using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lakebase.Client.Auth;
using Lakebase.Contract.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Lakebase.Client;

/// <summary>Retry settings (§4.5): the defaults are the SDKs'; tests shorten them.</summary>
public sealed record RetryOptions
{
    /// <summary>Total time spent retrying one call.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Linear backoff step: attempt × step, capped.</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Upper bound of the random jitter added to every delay.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// HTTP for the REST API: auth headers from the credential strategy, the SDKs' headers, JSON in the contract's
/// encoding, and retries exactly as §4.5 recommends: 429 and 503 (honouring an integer Retry-After, else 1 s) and
/// transient network failures, linear backoff capped at 10 s plus jitter, within a 5-minute budget; nothing else.
/// </summary>
internal sealed class ApiTransport : IDisposable
{
    public const string UserAgent = "lakebase-powershell/0.1.0";
    private readonly HttpClient _http;
    private readonly ICredentialStrategy _credentials;
    private readonly string _host;
    private readonly string? _workspaceId;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public ApiTransport(HttpClient http, ICredentialStrategy credentials, string host, string? workspaceId, RetryOptions retry)
    {
        _http = http;
        _credentials = credentials;
        _host = host;
        _workspaceId = workspaceId;
        _pipeline = BuildPipeline(retry);
    }

    public string AuthType => _credentials.AuthType;

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var json = body is null ? null : JsonSerializer.Serialize(body, body.GetType(), WireJson.Options);
        using var response = await ExecuteWithRetriesAsync(path, async token =>
        {
            using var request = new HttpRequestMessage(method, _host + path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.UserAgent.ParseAdd(UserAgent);
            if (_workspaceId is not null) request.Headers.Add("X-Databricks-Workspace-Id", _workspaceId);
            foreach (var (name, value) in await _credentials.GetHeadersAsync(token).ConfigureAwait(false))
                request.Headers.TryAddWithoutValidation(name, value);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw LakebaseApiException.FromResponse(response.StatusCode, response.ReasonPhrase, text, path.Split('?')[0]);
        return JsonSerializer.Deserialize<T>(string.IsNullOrWhiteSpace(text) ? "{}" : text, WireJson.Options)!;
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> ExecuteWithRetriesAsync(string path, Func<CancellationToken, ValueTask<HttpResponseMessage>> send,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(send, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{_host}{path.Split('?')[0]} did not answer successfully within the retry budget.", ex);
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(RetryOptions retry) => new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddTimeout(retry.Budget)
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .HandleResult(response => response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                .Handle<HttpRequestException>()
                .Handle<TimeoutRejectedException>(),
            DelayGenerator = arguments =>
            {
                var jitter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * retry.Jitter.TotalMilliseconds);
                if (arguments.Outcome.Result is { } response)
                {
                    var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    return ValueTask.FromResult<TimeSpan?>(retryAfter + jitter);
                }
                var linear = TimeSpan.FromTicks(Math.Min(retry.MaxDelay.Ticks, retry.Step.Ticks * (arguments.AttemptNumber + 1)));
                return ValueTask.FromResult<TimeSpan?>(linear + jitter);
            },
            OnRetry = arguments =>
            {
                arguments.Outcome.Result?.Dispose();
                return ValueTask.CompletedTask;
            },
        })
        .AddTimeout(retry.RequestTimeout)
        .Build();
}
