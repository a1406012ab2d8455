namespace Lakebase.Contract;

/// <summary>
/// update_mask: comma-joined snake_case paths relative to the resource. A oneof is masked by its group name
/// (spec.expiration, spec.suspension); role attributes can be masked leaf by leaf.
/// </summary>
public static class FieldMask
{
    public const string BranchExpiration = "spec.expiration";
    public const string EndpointSuspension = "spec.suspension";

    public static IReadOnlyList<string> Parse(string? mask) =>
        string.IsNullOrWhiteSpace(mask)
            ? Array.Empty<string>()
            : mask.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Join(IEnumerable<string> paths) => string.Join(',', paths);

    /// <summary>The members of each oneof group, by resource kind.</summary>
    public static IReadOnlyDictionary<string, string[]> OneofGroups(ResourceKind kind) => kind switch
    {
        ResourceKind.Branch => new Dictionary<string, string[]> { [BranchExpiration] = ["spec.expire_time", "spec.ttl", "spec.no_expiry"] },
        ResourceKind.Endpoint => new Dictionary<string, string[]> { [EndpointSuspension] = ["spec.suspend_timeout_duration", "spec.no_suspension"] },
        ResourceKind.Project => new Dictionary<string, string[]>
        {
            ["spec.default_endpoint_settings.suspension"] = ["spec.default_endpoint_settings.suspend_timeout_duration", "spec.default_endpoint_settings.no_suspension"],
        },
        _ => new Dictionary<string, string[]>(),
    };

    /// <summary>The paths an update may name, by resource kind (groups and parents included).</summary>
    public static IReadOnlySet<string> UpdatablePaths(ResourceKind kind) => kind switch
    {
        ResourceKind.Project => new HashSet<string>
        {
            "spec", "spec.display_name", "spec.history_retention_duration", "spec.default_branch", "spec.budget_policy_id",
            "spec.custom_tags", "spec.enable_pg_native_login", "spec.pg_version", "spec.default_endpoint_settings",
            "spec.default_endpoint_settings.autoscaling_limit_min_cu", "spec.default_endpoint_settings.autoscaling_limit_max_cu",
            "spec.default_endpoint_settings.suspension", "spec.default_endpoint_settings.pg_settings",
        },
        ResourceKind.Branch => new HashSet<string> { "spec", "spec.is_protected", BranchExpiration },
        ResourceKind.Endpoint => new HashSet<string>
        {
            "spec", "spec.autoscaling_limit_min_cu", "spec.autoscaling_limit_max_cu", "spec.disabled", EndpointSuspension,
            "spec.group", "spec.settings", "spec.settings.pg_settings", "spec.endpoint_type",
        },
        ResourceKind.Role => new HashSet<string>
        {
            "spec", "spec.postgres_role", "spec.identity_type", "spec.auth_method", "spec.membership_roles", "spec.attributes",
            "spec.attributes.bypassrls", "spec.attributes.createdb", "spec.attributes.createrole",
        },
        ResourceKind.Database => new HashSet<string> { "spec", "spec.role", "spec.postgres_database" },
        _ => new HashSet<string>(),
    };

    /// <summary>Create-only top-level fields that clients (Terraform) put in masks; the service ignores them.</summary>
    public static bool IsCreateOnly(string path) => path.StartsWith("initial_", StringComparison.Ordinal);
}
