using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
    /// <summary>Total time spent on one call, retries included (the SDKs' retry_timeout_seconds, 300 s).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Linear backoff step for non-throttle retries: min(attempt × step, MaxDelay).</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Per-request HTTP timeout (the SDKs' http_timeout_seconds, 60 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Upper bound of the random jitter added to every delay.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>What one second of Retry-After (and the 1 s fallback) means; tests shrink it.</summary>
    internal TimeSpan RetryAfterUnit { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Sees every delay chosen before a retry (tests).</summary>
    internal Action<TimeSpan>? OnDelay { get; init; }
}

/// <summary>
/// HTTP for the REST API: auth headers from the credential strategy, the SDKs' headers, JSON in the contract's
/// encoding, and retries exactly as §4.5 recommends: 429 and 503 (honouring an integer Retry-After, else 1 s, plus
/// 0–1 s jitter) and transient network failures (linear backoff min(attempt, 10) s plus jitter), within the retry
/// budget (retry_timeout_seconds, 5 minutes by default); nothing else (not 500, not other 4xx). An error says whether
/// an attempt whose answer was lost went before it (<see cref="LakebaseApiException.AfterLostAnswer"/>); a spent
/// budget ends with the service's last refusal.
/// </summary>
internal sealed class ApiTransport : IDisposable
{
    public const string Product = "lakebase-powershell/0.1.0";
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private readonly HttpClient _http;
    private readonly ICredentialStrategy _credentials;
    private readonly string _host;
    private readonly string? _workspaceId;
    private readonly RetryOptions _retry;

    public ApiTransport(HttpClient http, ICredentialStrategy credentials, string host, string? workspaceId, RetryOptions retry)
    {
        _http = http;
        _credentials = credentials;
        _host = host.TrimEnd('/');
        _workspaceId = workspaceId;
        _retry = retry;
    }

    public string AuthType => _credentials.AuthType;

    /// <summary>How long one call keeps retrying (retry_timeout_seconds).</summary>
    public TimeSpan RetryBudget => _retry.Budget;

    /// <summary>The User-Agent: product first, as the SDKs put theirs, then runtime, OS and auth type.</summary>
    public string UserAgent =>
        $"{Product} dotnet/{Environment.Version} os/{OperatingSystemName()} auth/{_credentials.AuthType}";

    /// <summary>Sends one API call (path from the host, query included) and reads the answer as <typeparamref name="T"/>.</summary>
    /// <param name="target">What an error concerns (a resource name); defaults to the path.</param>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? target, CancellationToken cancellationToken)
    {
        var json = body is null ? null : JsonSerializer.Serialize(body, body.GetType(), WireJson.Options);
        var url = _host + path;
        target ??= path.Split('?')[0];
        var attempts = new AttemptLog();
        using var response = await ExecuteWithRetriesAsync(target, attempts, async token =>
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            if (_workspaceId is not null) request.Headers.TryAddWithoutValidation("X-Databricks-Workspace-Id", _workspaceId);
            foreach (var (name, value) in await _credentials.GetHeadersAsync(token).ConfigureAwait(false))
                request.Headers.TryAddWithoutValidation(name, value);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8);
                request.Content.Headers.ContentType = JsonMediaType;
            }
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = LakebaseApiException.FromResponse(response, text, target);
            error.AfterLostAnswer = attempts.LostAnswer;
            throw error;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(string.IsNullOrWhiteSpace(text) ? "{}" : text, WireJson.Options)!;
        }
        catch (JsonException ex)
        {
            throw new LakebaseApiException("INVALID_RESPONSE", $"The answer of {method} {target} is not valid JSON: {ex.Message}",
                (int)response.StatusCode, target);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>What the retries of one call saw: the last refusal as the service worded it, and whether an attempt
    /// may have reached the service although its answer never came back.</summary>
    private sealed class AttemptLog
    {
        public LakebaseApiException? LastRefusal { get; set; }
        public string? LastFailure { get; set; }
        public bool LostAnswer { get; set; }
    }

    private async Task<HttpResponseMessage> ExecuteWithRetriesAsync(string target, AttemptLog attempts,
        Func<CancellationToken, ValueTask<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        var pipeline = BuildPipeline(_retry, target, attempts);
        try
        {
            return await pipeline.ExecuteAsync(send, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var gaveUp = $"Gave up after retrying for {_retry.Budget.TotalSeconds:0.###} s (the retry budget, retry_timeout_seconds).";
            if (attempts.LastRefusal is { } refusal)
            {
                var error = refusal.Explained(gaveUp, ex);
                error.AfterLostAnswer = attempts.LostAnswer;
                throw error;
            }
            throw new TimeoutException(
                $"{target} did not answer successfully. {gaveUp}" + (attempts.LastFailure is null ? "" : $" Last failure: {attempts.LastFailure}"), ex);
        }
    }

    /// <summary>The request went out but its answer did not come back (the connection dropped mid-answer, the
    /// attempt timed out): the service may have acted on it. A refused connection never reached it.</summary>
    private static bool MayHaveBeenDelivered(Exception? exception) => exception switch
    {
        TimeoutRejectedException => true,
        HttpRequestException http => http.HttpRequestError != HttpRequestError.ConnectionError && IsTransient(http),
        _ => false,
    };

    /// <summary>Connection refused or reset, a connection dropped mid-answer: worth another try. DNS, TLS and protocol
    /// failures are not (they would only burn the budget).</summary>
    internal static bool IsTransient(HttpRequestException exception)
    {
        if (exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded) return true;
        if (exception.HttpRequestError != HttpRequestError.Unknown) return false;
        for (Exception? inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.ConnectionAborted
                or SocketError.TimedOut or SocketError.NetworkReset })
                return true;
        }
        return false;
    }

    internal static TimeSpan ComputeDelay(RetryOptions retry, int attemptNumber, HttpResponseMessage? response)
    {
        var jitter = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * retry.Jitter.Ticks));
        if (response is not null)
        {
            // Only an integer number of seconds counts (an HTTP date does not); otherwise 1 s.
            var seconds = 1L;
            if (response.Headers.TryGetValues("Retry-After", out var values) &&
                long.TryParse(values.FirstOrDefault()?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                seconds = parsed;
            return retry.RetryAfterUnit * seconds + jitter;
        }
        var linear = TimeSpan.FromTicks(Math.Min(retry.MaxDelay.Ticks, retry.Step.Ticks * (attemptNumber + 1)));
        return linear + jitter;
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(RetryOptions retry, string target, AttemptLog attempts) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(retry.Budget)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .HandleResult(response => response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                    .Handle<HttpRequestException>(IsTransient)
                    .Handle<TimeoutRejectedException>(),
                DelayGenerator = arguments =>
                {
                    var delay = ComputeDelay(retry, arguments.AttemptNumber, arguments.Outcome.Result);
                    retry.OnDelay?.Invoke(delay);
                    return ValueTask.FromResult<TimeSpan?>(delay);
                },
                OnRetry = async arguments =>
                {
                    if (arguments.Outcome.Result is { } response)
                    {
                        using (response)
                        {
                            var body = await response.Content.ReadAsStringAsync(arguments.Context.CancellationToken).ConfigureAwait(false);
                            attempts.LastRefusal = LakebaseApiException.FromResponse(response, body, target);
                        }
                        return;
                    }
                    attempts.LastRefusal = null;
                    attempts.LastFailure = arguments.Outcome.Exception?.Message ?? "unknown failure";
                    attempts.LostAnswer |= MayHaveBeenDelivered(arguments.Outcome.Exception);
                },
            })
            .AddTimeout(retry.RequestTimeout)
            .Build();

    private static string OperatingSystemName() =>
        OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsLinux() ? "linux" : RuntimeInformation.OSDescription;
}
