using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>One server with a project on each major new projects can use.</summary>
public sealed class ProjectPerMajorServer : IAsyncLifetime
{
    public static readonly int[] Majors = [16, 17];

    public LocalServerProcess Server { get; private set; } = null!;
    public Dictionary<int, (string Endpoint, string Host)> Projects { get; } = [];

    public async Task InitializeAsync()
    {
        Server = await LocalServerProcess.StartAsync();
        foreach (var major in Majors) Projects[major] = await new ProxyClient(Server).NewProjectAsync(new { pg_version = major });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// A project owner is a member of databricks_superuser, not a superuser: through the proxy, even acting as
/// databricks_superuser, it cannot reach the compute's OS account, which owns every project's data. PostgreSQL 16
/// made CREATEROLE grant only what the granter administers; on 15 these escalations succeeded.
/// </summary>
public sealed class IsolationTests(ProjectPerMajorServer shared) : IClassFixture<ProjectPerMajorServer>
{
    /// <summary>Runs <paramref name="sql"/> as databricks_superuser through the proxy; returns the error it must end in.</summary>
    private async Task<PostgresException> RefusedAsync(int major, string sql)
    {
        var (endpoint, host) = shared.Projects[major];
        await using var connection = await new ProxyClient(shared.Server).OpenAsync(endpoint, host);
        await using (var member = new NpgsqlCommand("SELECT pg_has_role('databricks_superuser', 'MEMBER') AND NOT rolsuper FROM pg_roles WHERE rolname = current_user", connection))
            Assert.True((bool)(await member.ExecuteScalarAsync())!, "the owner is a databricks_superuser member and no superuser");
        await using var command = new NpgsqlCommand("SET ROLE databricks_superuser; " + sql, connection);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal("42501", refused.SqlState);
        return refused;
    }

    private async Task AssertCannotGrantItselfAsync(int major, string role)
    {
        await RefusedAsync(major, $"GRANT {role} TO \"{ProxyClient.User}\"");
        var (endpoint, host) = shared.Projects[major];
        await using var connection = await new ProxyClient(shared.Server).OpenAsync(endpoint, host);
        await using var member = new NpgsqlCommand("SELECT pg_has_role($1, 'MEMBER')", connection) { Parameters = { new() { Value = role } } };
        Assert.False((bool)(await member.ExecuteScalarAsync())!);
    }

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_grant_itself_pg_execute_server_program(int major) => AssertCannotGrantItselfAsync(major, "pg_execute_server_program");

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_grant_itself_pg_read_server_files(int major) => AssertCannotGrantItselfAsync(major, "pg_read_server_files");

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_grant_itself_pg_write_server_files(int major) => AssertCannotGrantItselfAsync(major, "pg_write_server_files");

    [Theory, InlineData(16), InlineData(17)]
    public async Task Cannot_make_itself_superuser(int major)
    {
        await RefusedAsync(major, $"ALTER ROLE \"{ProxyClient.User}\" SUPERUSER");
        await AssertCannotGrantItselfAsync(major, "lakebase_admin");
    }

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_create_a_superuser(int major) => RefusedAsync(major, "CREATE ROLE escalated SUPERUSER LOGIN");

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_copy_to_a_program(int major) => RefusedAsync(major, "COPY (SELECT 1) TO PROGRAM 'id'");

    [Theory, InlineData(16), InlineData(17)]
    public Task Cannot_copy_from_a_program(int major) => RefusedAsync(major, "CREATE TEMP TABLE sink (line text); COPY sink FROM PROGRAM 'id'");
}
