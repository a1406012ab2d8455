using System.Text.Json;
using Lakebase.Client.Local;
using Lakebase.Contract.Json;
using Lakebase.Contract.Local;
using Xunit;

namespace Lakebase.Client.Tests.Client;

public sealed class LocalServerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lakebase-local-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private LocalServerInfo Write(int pid, string apiUrl)
    {
        var tokenFile = Path.Combine(_root, "admin.token");
        File.WriteAllText(tokenFile, "  local-admin-token\n");
        var info = new LocalServerInfo
        {
            Pid = pid, ApiUrl = apiUrl, AdminTokenFile = tokenFile, StateRoot = _root, CaCertificateFile = Path.Combine(_root, "tls", "ca.pem"), UserName = "admin@lakebase.local",
        };
        File.WriteAllText(LocalPaths.ServerInfoFile(_root), JsonSerializer.Serialize(info, WireJson.Options));
        return info;
    }

    [Fact]
    public async Task No_server_json_means_no_server()
    {
        Assert.Null(await LocalServer.FindRunningAsync(_root));
    }

    [Fact]
    public async Task A_dead_pid_means_no_server()
    {
        using var exited = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        await exited.WaitForExitAsync();
        Write(exited.Id, "http://127.0.0.1:1");
        Assert.Null(await LocalServer.FindRunningAsync(_root));
    }

    [Fact]
    public async Task A_live_pid_whose_api_does_not_answer_means_no_server()
    {
        Write(Environment.ProcessId, "http://127.0.0.1:1");
        Assert.Null(await LocalServer.FindRunningAsync(_root));
    }

    [Fact]
    public async Task A_garbled_server_json_means_no_server()
    {
        File.WriteAllText(LocalPaths.ServerInfoFile(_root), "{not json");
        Assert.Null(await LocalServer.FindRunningAsync(_root));
    }

    [Fact]
    public void CreateConfig_uses_the_admin_token_and_the_ca()
    {
        var info = Write(Environment.ProcessId, "http://127.0.0.1:8470");
        var config = LocalServer.CreateConfig(info);
        Assert.Equal(("http://127.0.0.1:8470", "local-admin-token", "pat"), (config.Host, config.Token, config.AuthType));
        Assert.Equal(info.CaCertificateFile, config.LocalCaCertificateFile);
        Assert.DoesNotContain("local-admin-token", config.ToString());
    }

    [Fact]
    public void Postgres_bin_directory_becomes_the_pg_root()
    {
        var options = new LocalServerStartOptions { ServerPath = "x", PostgresBinDirectory = "/usr/lib/postgresql/16/bin/" };
        Assert.Equal(Path.GetFullPath("/usr/lib/postgresql"), LocalServer.PostgresRootOf(options));
        Assert.Null(LocalServer.PostgresRootOf(new LocalServerStartOptions { ServerPath = "x" }));
    }

    [Fact]
    public async Task Start_fails_fast_when_the_server_dll_is_missing()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() => LocalServer.StartAsync(new LocalServerStartOptions
        {
            StateRoot = _root, ServerPath = Path.Combine(_root, "missing.dll"),
        }));
    }
}
