namespace Lakebase.Client.Auth;

/// <summary>
/// Chooses the credential strategy the way the Databricks SDKs do (§5.3, Python order): auth_type when forced,
/// otherwise the first of pat, oauth-m2m, azure-client-secret whose attributes are all set, otherwise the signed-in
/// CLIs (azure-cli for Azure hosts, then databricks-cli), tried in turn on first use. When nothing works the error
/// names every strategy and why it did not apply.
/// </summary>
internal static class CredentialChain
{
    public static readonly string[] SupportedAuthTypes = ["pat", "oauth-m2m", "azure-client-secret", "azure-cli", "databricks-cli"];

    public static ICredentialStrategy Select(LakebaseConfig config, HttpClient http, TimeProvider clock)
    {
        var host = config.Host ?? throw new LakebaseConfigException(
            "No workspace host is configured: pass -WorkspaceUrl, set DATABRICKS_HOST, or use a ~/.databrickscfg profile with host.");
        var groups = new List<string>();
        if (config.Token is not null) groups.Add("pat");
        if (config.ClientId is not null || config.ClientSecret is not null) groups.Add("oauth");
        if (config.AzureClientId is not null || config.AzureClientSecret is not null) groups.Add("azure");
        if (config.AuthType is null && groups.Count > 1)
            throw new LakebaseConfigException(
                $"More than one authorization method configured: {string.Join(" and ", groups)}. Set auth_type (-AuthType, DATABRICKS_AUTH_TYPE) to choose one.");

        if (config.AuthType is { } forced)
        {
            return forced switch
            {
                "pat" => Pat(config) ?? throw Missing(forced, "token (DATABRICKS_TOKEN)"),
                "oauth-m2m" => OAuth(config, http, host, clock) ?? throw Missing(forced, "client_id and client_secret (DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET)"),
                "azure-client-secret" => Azure(config, http, host, clock)
                    ?? throw Missing(forced, "azure_client_id and azure_client_secret (ARM_CLIENT_ID, ARM_CLIENT_SECRET)"),
                "azure-cli" => AzureCli(config, host, clock),
                "databricks-cli" => CliToken.DatabricksCli(host, config.Profile, config.DatabricksCliPath, clock),
                _ => throw new LakebaseConfigException($"auth_type '{forced}' is not supported; supported: {string.Join(", ", SupportedAuthTypes)}."),
            };
        }

        if (Pat(config) is { } pat) return pat;
        if (OAuth(config, http, host, clock) is { } oauth) return oauth;
        if (Azure(config, http, host, clock) is { } azure) return azure;

        var skipped = new List<string>
        {
            "pat: no token",
            config.ClientId is null ? "oauth-m2m: no client_id" : "oauth-m2m: no client_secret",
            config.AzureClientId is null ? "azure-client-secret: no azure_client_id" : "azure-client-secret: no azure_client_secret",
        };
        var candidates = new List<ICredentialStrategy>();
        if (AzureEnvironment.IsAzureHost(host)) candidates.Add(AzureCli(config, host, clock));
        else skipped.Add("azure-cli: not an Azure Databricks host");
        candidates.Add(CliToken.DatabricksCli(host, config.Profile, config.DatabricksCliPath, clock));
        return new FirstWorkingCredentials(host, skipped, candidates);
    }

    private static LakebaseConfigException Missing(string authType, string what) =>
        new($"auth_type '{authType}' needs {what}, which are not set.");

    private static ICredentialStrategy? Pat(LakebaseConfig config) => config.Token is { } token ? new PersonalAccessToken(token) : null;

    private static ICredentialStrategy? OAuth(LakebaseConfig config, HttpClient http, string host, TimeProvider clock) =>
        config.ClientId is { } id && config.ClientSecret is { } secret ? new OAuthM2M(http, host, id, secret, clock) : null;

    private static ICredentialStrategy? Azure(LakebaseConfig config, HttpClient http, string host, TimeProvider clock) =>
        config.AzureClientId is { } id && config.AzureClientSecret is { } secret
            ? new AzureClientSecret(http, host, config.AzureTenantId, id, secret, config.AzureWorkspaceResourceId, clock)
            : null;

    private static ICredentialStrategy AzureCli(LakebaseConfig config, string host, TimeProvider clock) =>
        CliToken.AzureCli(config.AzureTenantId, AzureEnvironment.ForHost(host) ?? AzureEnvironment.Public, clock);
}

/// <summary>Tries the candidates in order on first use and keeps the first that yields a token (thread-safe).</summary>
internal sealed class FirstWorkingCredentials(string host, IReadOnlyList<string> skipped, IReadOnlyList<ICredentialStrategy> candidates) : ICredentialStrategy
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile ICredentialStrategy? _chosen;

    /// <summary>"default" until a candidate has worked.</summary>
    public string AuthType => _chosen?.AuthType ?? "default";

    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) =>
        await (await ChooseAsync(cancellationToken).ConfigureAwait(false)).GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken) =>
        await (await ChooseAsync(cancellationToken).ConfigureAwait(false)).GetHeadersAsync(cancellationToken).ConfigureAwait(false);

    private async ValueTask<ICredentialStrategy> ChooseAsync(CancellationToken cancellationToken)
    {
        if (_chosen is { } chosen) return chosen;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_chosen is { } again) return again;
            var tried = new List<string>(skipped);
            foreach (var candidate in candidates)
            {
                try
                {
                    await candidate.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
                    return _chosen = candidate;
                }
                catch (LakebaseConfigException ex)
                {
                    tried.Add($"{candidate.AuthType}: {ex.Message}");
                }
            }
            throw new LakebaseConfigException(
                $"No usable credentials for {host}. Tried: {string.Join("; ", tried)}. " +
                "Pass -Token, -ClientId/-ClientSecret or -AzureClientId/-AzureClientSecret, set the DATABRICKS_* variables, use a ~/.databrickscfg profile, or sign in with 'databricks auth login'.");
        }
        finally
        {
            _gate.Release();
        }
    }
}
