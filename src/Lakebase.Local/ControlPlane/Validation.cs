using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lakebase.Contract;
using Lakebase.Local.Compute;

namespace Lakebase.Local.ControlPlane;

/// <summary>Request checks shared by the resource services; messages follow the service's wording where it is known.</summary>
internal static class Validation
{
    public static string RequireId(string field, string? id)
    {
        if (string.IsNullOrEmpty(id)) throw ApiException.Required(field);
        return ResourceIds.Describe(field, id) is { } problem ? throw ApiException.InvalidParameter(problem) : id;
    }

    public static void ComputeLimits(LocalLimits limits, double? min, double? max, string prefix)
    {
        foreach (var (field, value) in new[] { ("autoscaling_limit_min_cu", min), ("autoscaling_limit_max_cu", max) })
        {
            if (value is { } cu && (cu < limits.MinCu || cu > limits.MaxCu || cu * 2 != Math.Floor(cu * 2)))
                throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                    $"{prefix}{field} must be a multiple of 0.5 between {limits.MinCu} and {limits.MaxCu} CU, got {cu}."));
        }
        if (min is { } low && max is { } high)
        {
            if (low > high)
                throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                    $"{prefix}autoscaling_limit_min_cu ({low}) must not exceed {prefix}autoscaling_limit_max_cu ({high})."));
            if (high - low > limits.MaxAutoscalingSpan)
                throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                    $"The autoscaling range {low}–{high} CU spans more than {limits.MaxAutoscalingSpan} CU."));
        }
    }

    public static void Suspension(LocalLimits limits, TimeSpan? timeout, bool? noSuspension, string prefix)
    {
        if (timeout is not null && noSuspension is not null)
            throw ApiException.InvalidParameter($"Only one of {prefix}suspend_timeout_duration and {prefix}no_suspension may be set.");
        if (noSuspension == false)
            throw ApiException.InvalidParameter($"{prefix}no_suspension must be true when it is set.");
        if (timeout is { } value && (value < limits.MinSuspendTimeout || value > limits.MaxSuspendTimeout))
            throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                $"{prefix}suspend_timeout_duration must be between {limits.MinSuspendTimeout.TotalSeconds}s and {limits.MaxSuspendTimeout.TotalSeconds}s, got {value.TotalSeconds}s."));
    }

    public static void PgSettings(IReadOnlyDictionary<string, string>? settings)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            if (TunableSettings.Problem(key, value) is { } problem) throw ApiException.InvalidParameter(problem);
        }
    }

    /// <summary>An id derived from a Postgres name when the caller gives none (role_id and database_id are optional).</summary>
    public static string DeriveId(string postgresName, Func<string, bool> isTaken)
    {
        var text = new StringBuilder();
        foreach (var c in postgresName.ToLowerInvariant())
            text.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '-');
        var id = string.Join('-', text.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (id.Length == 0 || !char.IsAsciiLetterLower(id[0])) id = "r-" + id;
        id = id.Length > 56 ? id[..56].TrimEnd('-') : id;
        var candidate = id;
        for (var suffix = 2; isTaken(candidate); suffix++) candidate = $"{id}-{suffix}";
        return candidate;
    }

    /// <summary>A uid like the service's (br-…, ep-…).</summary>
    public static string NewUid(string prefix)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return prefix + "-" + RandomNumberGenerator.GetString(alphabet, 12);
    }
}
