using Lakebase.Client.Sql;
using Npgsql;
using Xunit;

namespace Lakebase.Client.Tests.Sql;

public class PostgresConnectionStringTests
{
    [Fact]
    public void Reads_what_Get_LakebaseCredential_writes_for_psql()
    {
        var parsed = PostgresConnectionString.Parse(
            "host=ep-1.local port=5432 dbname=databricks_postgres user='ada@example.com' password=tok.en-1 sslmode=verify-full sslrootcert='/tmp/it''s/ca.pem'".Replace("''", "\\'"));

        Assert.Equal("ep-1.local", parsed.Settings.Host);
        Assert.Equal(5432, parsed.Settings.Port);
        Assert.Equal("databricks_postgres", parsed.Settings.Database);
        Assert.Equal("ada@example.com", parsed.Settings.Username);
        Assert.Equal("tok.en-1", parsed.Settings.Password);
        Assert.Equal(SslMode.VerifyFull, parsed.Settings.SslMode);
        Assert.Equal("/tmp/it's/ca.pem", parsed.Settings.RootCertificate);
        Assert.Null(parsed.ServerName);
    }

    [Fact]
    public void A_quoted_libpq_value_may_hold_a_semicolon()
    {
        var parsed = PostgresConnectionString.Parse("host=db user=ada password='p;w d'");

        Assert.Equal("db", parsed.Settings.Host);
        Assert.Equal("p;w d", parsed.Settings.Password);
    }

    [Fact]
    public void Hostaddr_connects_to_the_address_and_names_the_host_for_TLS()
    {
        var parsed = PostgresConnectionString.Parse("host=ep-1.example.com hostaddr=10.0.0.5 options='endpoint=ep-1' user = ada sslmode=require");

        Assert.Equal("10.0.0.5", parsed.Settings.Host);
        Assert.Equal("ep-1.example.com", parsed.ServerName);
        Assert.Equal("endpoint=ep-1", parsed.Settings.Options);
        Assert.Equal("ada", parsed.Settings.Username);
        Assert.Equal(SslMode.Require, parsed.Settings.SslMode);
    }

    [Fact]
    public void Reads_postgresql_uris_with_escapes()
    {
        var parsed = PostgresConnectionString.Parse("postgresql://ada%40example.com:p%2Fss@instance-1.database.cloud.databricks.com:6543/my_db?sslmode=require&application_name=nightly");

        Assert.Equal("instance-1.database.cloud.databricks.com", parsed.Settings.Host);
        Assert.Equal(6543, parsed.Settings.Port);
        Assert.Equal("my_db", parsed.Settings.Database);
        Assert.Equal("ada@example.com", parsed.Settings.Username);
        Assert.Equal("p/ss", parsed.Settings.Password);
        Assert.Equal(SslMode.Require, parsed.Settings.SslMode);
        Assert.Equal("nightly", parsed.Settings.ApplicationName);
    }

    [Fact]
    public void Keeps_Npgsql_connection_strings_as_they_are()
    {
        var parsed = PostgresConnectionString.Parse("Host=localhost;Port=5433;Username=ada;Password=a b;Database=x");

        Assert.Equal("localhost", parsed.Settings.Host);
        Assert.Equal(5433, parsed.Settings.Port);
        Assert.Equal("a b", parsed.Settings.Password);
    }

    [Theory]
    [InlineData("host=x sslmode=sometimes", "sslmode 'sometimes'")]
    [InlineData("host=x keepalives_idle=5", "'keepalives_idle'")]
    public void Refuses_settings_it_cannot_honour_by_name(string text, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Parse(text));
        Assert.Contains(named, error.Message);
    }
}
