using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Lakebase.FaultProxy;

/// <summary>What a rule does to a request it picks.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>Answers with <see cref="FaultRule.Status"/> and the service's error body, without forwarding.</summary>
    Status,
    /// <summary>Forwards the request, then drops the connection instead of answering: the call took effect, its
    /// answer is lost.</summary>
    LoseAnswer,
    /// <summary>Drops the connection without forwarding.</summary>
    Drop,
}

/// <summary>
/// One fault: the requests it applies to (method, a regular expression the path matches) and the share of them it picks. For each
/// request one random number picks at most one rule: rules are stacked in order, each taking its probability of the
/// unit interval, so probabilities are absolute shares of the matching requests.
/// </summary>
public sealed record FaultRule
{
    public string? Method { get; init; }
    public string? PathPattern { get; init; }
    public FaultKind Fault { get; init; } = FaultKind.Status;
    public int Status { get; init; } = 503;
    /// <summary>The Retry-After header in seconds, when set.</summary>
    public int? RetryAfter { get; init; }
    public string? ErrorCode { get; init; }
    public string? Message { get; init; }
    public double Probability { get; init; } = 1;
    /// <summary>How many requests the rule may still pick; null for any number.</summary>
    public int? Times { get; init; }

    public bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase)) &&
        (PathPattern is null || Regex.IsMatch(path, PathPattern, RegexOptions.CultureInvariant));

    /// <summary>The service's error_code for a status the rule answers with.</summary>
    public string Code => ErrorCode ?? Status switch
    {
        401 => "UNAUTHENTICATED",
        429 => "REQUEST_LIMIT_EXCEEDED",
        500 => "INTERNAL_ERROR",
        503 => "TEMPORARILY_UNAVAILABLE",
        _ => "UNKNOWN",
    };
}
