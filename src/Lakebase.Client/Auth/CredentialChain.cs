namespace Lakebase.Client.Auth;

/// <summary>Chooses the credential strategy the way the Databricks SDKs do (§5.3): auth_type when forced, otherwise
/// the first strategy whose attributes are all present.</summary>
internal static class CredentialChain
{
    public static ICredentialStrategy Select(LakebaseConfig config, HttpClient http, TimeProvider clock)
    {
        var host = config.Host ?? throw new LakebaseConfigException("No workspace host is configured: pass -Host, set DATABRICKS_HOST, or use a ~/.databrickscfg profile.");
        var groups = new List<string>();
        if (config.Token is not null) groups.Add("pat");
        if (config.ClientId is not null && config.ClientSecret is not null) groups.Add("oauth");
        if (config.AzureClientId is not null && config.AzureClientSecret is not null) groups.Add("azure");
        if (config.AuthType is null && groups.Count > 1)
            throw new LakebaseConfigException($"More than one authorization method configured: {string.Join(" and ", groups)}. Set auth_type to choose one.");

        var candidates = new (string Name, Func<ICredentialStrategy?> Create)[]
        {
            ("pat", () => config.Token is { } token ? new PersonalAccessToken(token) : null),
            ("oauth-m2m", () => config.ClientId is { } id && config.ClientSecret is { } secret ? OAuthClientCredentials.Databricks(http, host, id, secret, clock) : null),
            ("azure-client-secret", () => config.AzureClientId is { } id && config.AzureClientSecret is { } secret
                ? OAuthClientCredentials.Azure(http, config.AzureTenantId ?? throw new LakebaseConfigException("azure-client-secret needs azure_tenant_id (ARM_TENANT_ID)."),
                    id, secret, config.AzureWorkspaceResourceId, clock)
                : null),
            ("azure-cli", () => IsAzureHost(host) || config.AuthType == "azure-cli" ? CliToken.AzureCli(clock) : null),
            ("databricks-cli", () => CliToken.DatabricksCli(host, config.Profile, config.DatabricksCliPath, clock)),
        };
        foreach (var (name, create) in candidates)
        {
            if (config.AuthType is not null && config.AuthType != name) continue;
            if (create() is { } strategy) return strategy;
        }
        throw new LakebaseConfigException(config.AuthType is null
            ? $"No credentials are configured for {host} (tried pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli)."
            : $"auth_type '{config.AuthType}' is not supported or lacks its settings; supported: pat, oauth-m2m, azure-client-secret, azure-cli, databricks-cli.");
    }

    private static bool IsAzureHost(string host) =>
        host.Contains(".azuredatabricks.net", StringComparison.OrdinalIgnoreCase) ||
        host.Contains(".databricks.azure.", StringComparison.OrdinalIgnoreCase);
}
