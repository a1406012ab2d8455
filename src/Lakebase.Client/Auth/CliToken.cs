using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lakebase.Contract.Json;

namespace Lakebase.Client.Auth;

/// <summary>
/// azure-cli and databricks-cli: tokens from a signed-in command-line tool (`az account get-access-token`,
/// `databricks auth token`), cached until about a minute before they expire. The tool runs asynchronously, bounded in
/// time, and is killed when the caller cancels.
/// </summary>
internal sealed class CliToken : ICredentialStrategy
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly IReadOnlyList<string> _command;
    private readonly CachedToken _token;
    private readonly CachedToken? _managementToken;

    private CliToken(string authType, IReadOnlyList<string> command, Func<JsonElement, AccessToken> read, TimeProvider clock,
        IReadOnlyList<string>? managementCommand = null)
    {
        AuthType = authType;
        _command = command;
        _token = new CachedToken(ct => RunAsync(command, read, ct), clock);
        if (managementCommand is not null) _managementToken = new CachedToken(ct => RunAsync(managementCommand, read, ct), clock);
    }

    public string AuthType { get; }

    /// <summary>az account get-access-token for the Azure Databricks resource (plus --tenant when known). A service
    /// principal signed in to az (a token without upn) also sends a management token, as the SDKs do.</summary>
    public static CliToken AzureCli(string? tenantId, AzureEnvironment environment, TimeProvider clock)
    {
        IReadOnlyList<string> For(string resource)
        {
            var command = new List<string> { "az", "account", "get-access-token", "--resource", resource, "--output", "json" };
            if (tenantId is not null) command.AddRange(["--tenant", tenantId]);
            return command;
        }
        return new CliToken("azure-cli", For(AzureEnvironment.DatabricksResource), ReadAzureCliToken, clock, For(environment.ServiceManagementEndpoint));
    }

    /// <summary>databricks auth token --profile p (when a profile is configured) or --host h.</summary>
    public static CliToken DatabricksCli(string host, string? profile, string? cliPath, TimeProvider clock) => new("databricks-cli",
        profile is null ? [cliPath ?? "databricks", "auth", "token", "--host", host] : [cliPath ?? "databricks", "auth", "token", "--profile", profile],
        ReadDatabricksCliToken, clock);

    public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => _token.GetAsync(cancellationToken);

    public async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken)
    {
        var token = await _token.GetAsync(cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        if (_managementToken is not null && !HasClaim(token, "upn"))
            headers["X-Databricks-Azure-SP-Management-Token"] = await _managementToken.GetAsync(cancellationToken).ConfigureAwait(false);
        return headers;
    }

    public override string ToString() => $"{AuthType} ({string.Join(' ', _command.Take(3))})";

    /// <summary>accessToken plus expiresOn (local time, "YYYY-MM-DD HH:MM:SS[.ffffff]") or, in newer az, expires_on (epoch seconds).</summary>
    internal static AccessToken ReadAzureCliToken(JsonElement json)
    {
        var token = json.GetProperty("accessToken").GetString()!;
        if (json.TryGetProperty("expires_on", out var epoch) &&
            (epoch.ValueKind == JsonValueKind.Number ? epoch.TryGetInt64(out var seconds)
                : long.TryParse(epoch.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds)))
            return new AccessToken(token, DateTimeOffset.FromUnixTimeSeconds(seconds));
        var local = DateTime.Parse(json.GetProperty("expiresOn").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal);
        return new AccessToken(token, new DateTimeOffset(local));
    }

    /// <summary>access_token plus expiry (RFC 3339, Go writes up to 9 fractional digits).</summary>
    internal static AccessToken ReadDatabricksCliToken(JsonElement json)
    {
        var token = json.GetProperty("access_token").GetString()!;
        var expiry = json.GetProperty("expiry").GetString()!;
        if (!WireTimestamp.TryParse(expiry, out var expiresAt))
            expiresAt = DateTimeOffset.Parse(expiry, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new AccessToken(token, expiresAt);
    }

    /// <summary>Whether a JWT's payload carries a claim (false for tokens that are not JWTs).</summary>
    internal static bool HasClaim(string jwt, string claim)
    {
        var parts = jwt.Split('.');
        if (parts.Length < 2) return false;
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var document = JsonDocument.Parse(Convert.FromBase64String(payload));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(claim, out _);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private static async Task<AccessToken> RunAsync(IReadOnlyList<string> command, Func<JsonElement, AccessToken> read, CancellationToken cancellationToken)
    {
        var display = string.Join(' ', command.Take(3));
        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1)) startInfo.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new LakebaseConfigException($"'{command[0]}' could not be started.");
        }
        catch (Win32Exception ex)
        {
            throw new LakebaseConfigException($"'{command[0]}' is not installed or not on PATH ({ex.Message}).");
        }
        using (process)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(CommandTimeout);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                await Task.WhenAll(output, error).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                if (cancellationToken.IsCancellationRequested) throw;
                throw new LakebaseConfigException($"'{display}' did not finish within {CommandTimeout.TotalSeconds:0} s.");
            }
            if (process.ExitCode != 0)
            {
                var message = (await error.ConfigureAwait(false)).Trim();
                throw new LakebaseConfigException($"'{display}' failed (exit code {process.ExitCode}): {(message.Length > 400 ? message[..400] + "…" : message)}");
            }
            try
            {
                using var document = JsonDocument.Parse(await output.ConfigureAwait(false));
                return read(document.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new LakebaseConfigException($"'{display}' printed no token this module can read ({ex.GetType().Name}).");
            }
        }
    }
}
