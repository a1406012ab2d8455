using System.Globalization;

namespace Lakebase.Client;

/// <summary>
/// Databricks unified-auth configuration: the attributes that say where the workspace is and how to authenticate.
/// <see cref="Resolve"/> fills unset attributes from DATABRICKS_* / ARM_* environment variables, then from a
/// ~/.databrickscfg profile, never overwriting a value already set. ToString never shows a secret.
/// </summary>
public sealed record LakebaseConfig
{
    public string? Host { get; init; }
    public string? Token { get; init; }
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public string? AzureClientId { get; init; }
    public string? AzureClientSecret { get; init; }
    public string? AzureTenantId { get; init; }
    public string? AzureWorkspaceResourceId { get; init; }
    public string? WorkspaceId { get; init; }
    public string? Profile { get; init; }
    public string? ConfigFile { get; init; }
    /// <summary>Forces one strategy: pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli.</summary>
    public string? AuthType { get; init; }
    public string? DatabricksCliPath { get; init; }
    /// <summary>How long one API call keeps retrying 429, 503 and dropped connections (retry_timeout_seconds; the
    /// SDKs read it from code or the profile, not the environment); null for their 300 s.</summary>
    public int? RetryTimeoutSeconds { get; init; }
    /// <summary>The timeout of each HTTP attempt (http_timeout_seconds); null for the SDKs' 60 s.</summary>
    public int? HttpTimeoutSeconds { get; init; }
    /// <summary>PEM of the CA that signs Lakebase Local's data-plane certificates; null for a real workspace.</summary>
    public string? LocalCaCertificateFile { get; init; }

    private static readonly (string Attribute, string Variable)[] EnvironmentVariables =
    [
        ("host", "DATABRICKS_HOST"), ("token", "DATABRICKS_TOKEN"), ("client_id", "DATABRICKS_CLIENT_ID"),
        ("client_secret", "DATABRICKS_CLIENT_SECRET"), ("azure_client_id", "ARM_CLIENT_ID"), ("azure_client_secret", "ARM_CLIENT_SECRET"),
        ("azure_tenant_id", "ARM_TENANT_ID"), ("azure_workspace_resource_id", "DATABRICKS_AZURE_RESOURCE_ID"),
        ("workspace_id", "DATABRICKS_WORKSPACE_ID"), ("profile", "DATABRICKS_CONFIG_PROFILE"), ("config_file", "DATABRICKS_CONFIG_FILE"),
        ("auth_type", "DATABRICKS_AUTH_TYPE"), ("databricks_cli_path", "DATABRICKS_CLI_PATH"),
    ];

    private static readonly string[] AuthAttributes =
        ["token", "client_id", "client_secret", "azure_client_id", "azure_client_secret", "azure_tenant_id", "azure_workspace_resource_id"];

    /// <summary>
    /// Applies §5 precedence: explicit values, then DATABRICKS_* / ARM_* environment variables, then the config-file
    /// profile (never overwriting a value already set). The file (DATABRICKS_CONFIG_FILE, else ~/.databrickscfg) is read
    /// when a profile is named, or when neither host nor any credential came from code or the environment. The profile
    /// is the named one, else [__settings__] default_profile, else DEFAULT. Throws <see cref="LakebaseConfigException"/>
    /// for a named profile that does not exist and when no host is found anywhere.
    /// </summary>
    /// <param name="homeDirectory">Where ~/.databrickscfg lives; null for the user profile folder.</param>
    public static LakebaseConfig Resolve(LakebaseConfig explicitValues, IReadOnlyDictionary<string, string?> environment, string? homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(explicitValues);
        ArgumentNullException.ThrowIfNull(environment);
        homeDirectory ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var values = explicitValues.ToAttributes();
        foreach (var (attribute, variable) in EnvironmentVariables)
        {
            if (!values.ContainsKey(attribute) && environment.TryGetValue(variable, out var value) && !string.IsNullOrWhiteSpace(value))
                values[attribute] = value.Trim();
        }

        string? fileDescription = null;
        var profileNamed = values.ContainsKey("profile");
        if (profileNamed || (!values.ContainsKey("host") && !AuthAttributes.Any(values.ContainsKey)))
        {
            var path = ExpandHome(values.GetValueOrDefault("config_file") ?? Path.Combine(homeDirectory, ".databrickscfg"), homeDirectory);
            var exists = File.Exists(path);
            var file = exists ? ConfigFileProfiles.Parse(File.ReadAllLines(path)) : new Dictionary<string, Dictionary<string, string>>();
            var profileName = values.GetValueOrDefault("profile")
                ?? file.GetValueOrDefault(ConfigFileProfiles.SettingsSection)?.GetValueOrDefault("default_profile");
            Dictionary<string, string>? profile;
            if (profileName is null)
            {
                profile = file.GetValueOrDefault(ConfigFileProfiles.DefaultSection);
                fileDescription = exists ? $"profile {ConfigFileProfiles.DefaultSection} of {path}" : $"{path} (does not exist)";
            }
            else if (!exists)
                throw new LakebaseConfigException($"Profile '{profileName}' was requested but the config file {path} does not exist.");
            else if (profileName == ConfigFileProfiles.SettingsSection || !file.TryGetValue(profileName, out profile))
                throw new LakebaseConfigException(
                    $"{path} has no {profileName} profile configured (profiles: {string.Join(", ", file.Keys.Where(k => k != ConfigFileProfiles.SettingsSection).DefaultIfEmpty("none"))}).");
            else fileDescription = $"profile {profileName} of {path}";
            foreach (var (key, value) in profile ?? [])
                if (!string.IsNullOrEmpty(value)) values.TryAdd(key, value);
            if (profileName is not null) values["profile"] = profileName;
            values["config_file"] = path;
        }
        var config = FromAttributes(values);
        config = config with { Host = NormalizeHost(config.Host) };
        if (config.Host is null)
            throw new LakebaseConfigException(
                "No workspace host is configured. Tried: an explicit host (-WorkspaceUrl), DATABRICKS_HOST, " +
                (fileDescription ?? "no config file (it is only read when no host or credentials are set, or a profile is named)") + ".");
        return config;
    }

    private static string ExpandHome(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;

    /// <summary>https:// added when missing, trailing slash and :443 removed.</summary>
    public static string? NormalizeHost(string? host)
    {
        if (string.IsNullOrWhiteSpace(host)) return null;
        var text = host.Trim();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "https://" + text;
        var uri = new Uri(text);
        var port = uri.IsDefaultPort || (uri.Scheme == "https" && uri.Port == 443) ? "" : ":" + uri.Port;
        return $"{uri.Scheme}://{uri.Host}{port}{uri.AbsolutePath.TrimEnd('/')}";
    }

    /// <summary>For logs and -Verbose: every attribute that is set, secrets (token, client secrets) as ***.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        void Add(string name, string? value, bool secret = false)
        {
            if (!string.IsNullOrEmpty(value)) parts.Add($"{name}={(secret ? "***" : value)}");
        }
        Add("host", Host); Add("auth_type", AuthType); Add("profile", Profile); Add("config_file", ConfigFile);
        Add("token", Token, secret: true); Add("client_id", ClientId); Add("client_secret", ClientSecret, secret: true);
        Add("azure_client_id", AzureClientId); Add("azure_client_secret", AzureClientSecret, secret: true); Add("azure_tenant_id", AzureTenantId);
        Add("azure_workspace_resource_id", AzureWorkspaceResourceId); Add("workspace_id", WorkspaceId);
        Add("databricks_cli_path", DatabricksCliPath); Add("local_ca_certificate_file", LocalCaCertificateFile);
        Add("retry_timeout_seconds", RetryTimeoutSeconds?.ToString(CultureInfo.InvariantCulture));
        Add("http_timeout_seconds", HttpTimeoutSeconds?.ToString(CultureInfo.InvariantCulture));
        return "LakebaseConfig { " + string.Join(", ", parts) + " }";
    }

    private Dictionary<string, string> ToAttributes()
    {
        var values = new Dictionary<string, string>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) values[key] = value; }
        Add("host", Host); Add("token", Token); Add("client_id", ClientId); Add("client_secret", ClientSecret);
        Add("azure_client_id", AzureClientId); Add("azure_client_secret", AzureClientSecret); Add("azure_tenant_id", AzureTenantId);
        Add("azure_workspace_resource_id", AzureWorkspaceResourceId); Add("workspace_id", WorkspaceId); Add("profile", Profile);
        Add("config_file", ConfigFile); Add("auth_type", AuthType); Add("databricks_cli_path", DatabricksCliPath);
        Add("local_ca_certificate_file", LocalCaCertificateFile);
        Add("retry_timeout_seconds", RetryTimeoutSeconds?.ToString(CultureInfo.InvariantCulture));
        Add("http_timeout_seconds", HttpTimeoutSeconds?.ToString(CultureInfo.InvariantCulture));
        return values;
    }

    private static LakebaseConfig FromAttributes(Dictionary<string, string> values) => new()
    {
        Host = values.GetValueOrDefault("host"),
        Token = values.GetValueOrDefault("token"),
        ClientId = values.GetValueOrDefault("client_id"),
        ClientSecret = values.GetValueOrDefault("client_secret"),
        AzureClientId = values.GetValueOrDefault("azure_client_id"),
        AzureClientSecret = values.GetValueOrDefault("azure_client_secret"),
        AzureTenantId = values.GetValueOrDefault("azure_tenant_id"),
        AzureWorkspaceResourceId = values.GetValueOrDefault("azure_workspace_resource_id"),
        WorkspaceId = values.GetValueOrDefault("workspace_id"),
        Profile = values.GetValueOrDefault("profile"),
        ConfigFile = values.GetValueOrDefault("config_file"),
        AuthType = values.GetValueOrDefault("auth_type"),
        DatabricksCliPath = values.GetValueOrDefault("databricks_cli_path"),
        LocalCaCertificateFile = values.GetValueOrDefault("local_ca_certificate_file"),
        RetryTimeoutSeconds = Seconds(values, "retry_timeout_seconds"),
        HttpTimeoutSeconds = Seconds(values, "http_timeout_seconds"),
    };

    private static int? Seconds(Dictionary<string, string> values, string attribute) =>
        !values.TryGetValue(attribute, out var text) ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds
        : throw new LakebaseConfigException($"{attribute} must be a positive whole number of seconds, not '{text}'.");

    /// <summary>The SDKs' retry settings with this configuration's retry_timeout_seconds and http_timeout_seconds.</summary>
    internal RetryOptions ApplyTo(RetryOptions retry) => retry with
    {
        Budget = RetryTimeoutSeconds is { } budget ? TimeSpan.FromSeconds(budget) : retry.Budget,
        RequestTimeout = HttpTimeoutSeconds is { } attempt ? TimeSpan.FromSeconds(attempt) : retry.RequestTimeout,
    };
}

/// <summary>A configuration that cannot work: an unknown profile, no host, no usable credentials.</summary>
public sealed class LakebaseConfigException(string message) : Exception(message);

/// <summary>~/.databrickscfg: INI sections, `key = value` or `key: value`, whole-line # and ; comments, no
/// interpolation, no inheritance from [DEFAULT].</summary>
internal static class ConfigFileProfiles
{
    public const string SettingsSection = "__settings__";
    public const string DefaultSection = "DEFAULT";

    public static Dictionary<string, Dictionary<string, string>> Parse(IEnumerable<string> lines)
    {
        var profiles = new Dictionary<string, Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                current = profiles[line[1..^1].Trim()] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                continue;
            }
            var separator = line.IndexOfAny(['=', ':']);
            if (current is null || separator <= 0) continue;
            current[line[..separator].Trim().ToLowerInvariant()] = line[(separator + 1)..].Trim();
        }
        return profiles;
    }
}
