using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lakebase.Local.Postgres;
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

    /// <summary>A role_id the caller chose (it is optional).</summary>
    public static void RoleId(string id)
    {
        if (ResourceIds.DescribeRoleId(id) is { } problem) throw ApiException.InvalidParameter(problem);
    }

    /// <summary>A database_id the caller chose (it is optional).</summary>
    public static void DatabaseId(string id)
    {
        if (ResourceIds.DescribeDatabaseId(id) is { } problem) throw ApiException.InvalidParameter(problem);
    }

    /// <summary>A role's or database's name in PostgreSQL: required, and at most 63 bytes (NAMEDATALEN - 1), which
    /// PostgreSQL would otherwise cut short, leaving the API and the cluster with different names.</summary>
    public static void PostgresName(string field, [NotNull] string? name)
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.Required(field);
        if (Encoding.UTF8.GetByteCount(name) is var bytes and > MaxPostgresNameBytes)
            throw ApiException.InvalidParameter($"Field {field} must be at most {MaxPostgresNameBytes} bytes long, got {bytes}.");
    }

    private const int MaxPostgresNameBytes = 63;

    /// <summary>The CU rules (<see cref="ComputeSize"/>): sizes in half CUs within the service's range; a range that
    /// autoscales (min &lt; max) stays within the autoscaling limits; a fixed size above them is a whole number.</summary>
    public static void ComputeLimits(double? min, double? max, string prefix)
    {
        foreach (var (field, value) in new[] { ("autoscaling_limit_min_cu", min), ("autoscaling_limit_max_cu", max) })
        {
            if (value is { } cu && (cu < ComputeSize.SmallestCu || cu > ComputeSize.LargestCu || cu / ComputeSize.Step != Math.Floor(cu / ComputeSize.Step)))
                throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                    $"{prefix}{field} must be a multiple of {ComputeSize.Step} between {ComputeSize.SmallestCu} and {ComputeSize.LargestCu} CU, got {cu}."));
        }
        if (min is not { } low || max is not { } high) return;
        if (low > high)
            throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture, $"{prefix}autoscaling_limit_min_cu ({low}) must not exceed {prefix}autoscaling_limit_max_cu ({high})."));
        if (low == high)
        {
            if (high > ComputeSize.LargestAutoscalingCu && high != Math.Floor(high))
                throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture, $"A fixed size above {ComputeSize.LargestAutoscalingCu} CU must be a whole number of CU, got {high}."));
            return;
        }
        if (high > ComputeSize.LargestAutoscalingCu)
            throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                $"{prefix}autoscaling_limit_max_cu must be at most {ComputeSize.LargestAutoscalingCu} CU for an autoscaling range, got {high}; sizes above that are fixed (min = max)."));
        if (high - low > ComputeSize.MaxAutoscalingSpan)
            throw ApiException.InvalidParameter(string.Create(CultureInfo.InvariantCulture, $"The autoscaling range {low}–{high} CU spans more than {ComputeSize.MaxAutoscalingSpan} CU."));
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

    /// <summary>An id derived from a Postgres name when the caller gives none (role_id and database_id are optional);
    /// <paramref name="kind"/> (role, database) prefixes a name that does not start with a letter or is too short.</summary>
    public static string DeriveId(string postgresName, string kind, Func<string, bool> isTaken)
    {
        var text = new StringBuilder();
        foreach (var c in postgresName.ToLowerInvariant())
            text.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '-');
        var id = string.Join('-', text.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (id.Length < ResourceIds.MinRoleOrDatabaseIdLength || !char.IsAsciiLetterLower(id[0])) id = $"{kind}-{id}".TrimEnd('-');
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
