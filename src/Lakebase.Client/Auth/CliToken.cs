using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Lakebase.Client.Auth;

/// <summary>
/// azure-cli and databricks-cli: tokens from a signed-in command-line tool (`az account get-access-token`,
/// `databricks auth token`), cached until shortly before they expire.
/// </summary>
internal sealed class CliToken(string authType, IReadOnlyList<string> command, Func<JsonElement, AccessToken> read, TimeProvider clock) : ICredentialStrategy
{
    private readonly CachedToken _token = new(cancellationToken => RunAsync(command, read, cancellationToken), clock);

    public string AuthType { get; } = authType;

    public static CliToken AzureCli(TimeProvider clock) => new("azure-cli",
        ["az", "account", "get-access-token", "--resource", OAuthClientCredentials.AzureDatabricksResource, "--output", "json"],
        json => new AccessToken(json.GetProperty("accessToken").GetString()!,
            DateTimeOffset.Parse(json.GetProperty("expiresOn").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal)),
        clock);

    public static CliToken DatabricksCli(string host, string? profile, string? cliPath, TimeProvider clock) => new("databricks-cli",
        profile is null ? [cliPath ?? "databricks", "auth", "token", "--host", host] : [cliPath ?? "databricks", "auth", "token", "--profile", profile],
        json => new AccessToken(json.GetProperty("access_token").GetString()!,
            DateTimeOffset.Parse(json.GetProperty("expiry").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)),
        clock);

    public async ValueTask<IReadOnlyDictionary<string, string>> GetHeadersAsync(CancellationToken cancellationToken) =>
        new Dictionary<string, string> { ["Authorization"] = "Bearer " + await _token.GetAsync(cancellationToken).ConfigureAwait(false) };

    private static async Task<AccessToken> RunAsync(IReadOnlyList<string> command, Func<JsonElement, AccessToken> read, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) startInfo.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new LakebaseConfigException($"'{command[0]}' is not installed or not on PATH: {ex.Message}");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new LakebaseConfigException($"'{string.Join(' ', command.Take(3))}' failed: {(await error.ConfigureAwait(false)).Trim()}");
            using var document = JsonDocument.Parse(await output.ConfigureAwait(false));
            return read(document.RootElement);
        }
    }
}
