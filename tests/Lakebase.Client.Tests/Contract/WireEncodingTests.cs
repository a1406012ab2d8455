using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;
using Xunit;

namespace Lakebase.Client.Tests.Contract;

public class WireEncodingTests
{
    [Theory]
    [InlineData("604800s", 604800.0)]
    [InlineData("300s", 300.0)]
    [InlineData("0.500s", 0.5)]
    [InlineData("1.000001s", 1.000001)]
    public void Durations_parse_from_protobuf_seconds(string wire, double seconds)
    {
        Assert.True(WireDuration.TryParse(wire, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
        Assert.Equal(wire, WireDuration.Format(value));
    }

    [Theory]
    [InlineData("P7D")]
    [InlineData("604800")]
    [InlineData("")]
    public void Durations_reject_other_encodings(string wire) => Assert.False(WireDuration.TryParse(wire, out _));

    [Fact]
    public void Timestamps_with_nanoseconds_are_accepted_and_written_in_utc()
    {
        Assert.True(WireTimestamp.TryParse("2026-08-19T04:06:58.123456789Z", out var value));
        Assert.Equal(new DateTimeOffset(2026, 8, 19, 4, 6, 58, TimeSpan.Zero).AddTicks(1234567), value);
        Assert.Equal("2026-08-19T06:06:58Z", WireTimestamp.Format(new DateTimeOffset(2026, 8, 19, 8, 6, 58, TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Resources_serialize_with_snake_case_keys_and_no_unset_fields()
    {
        var branch = new Branch { Spec = new BranchSpec { NoExpiry = true, SourceBranch = "projects/p/branches/production" } };
        Assert.Equal("""{"spec":{"source_branch":"projects/p/branches/production","no_expiry":true}}""", WireJson.Serialize(branch));
    }

    [Fact]
    public void Int64_fields_accept_numbers_and_strings()
    {
        var status = WireJson.Deserialize<ProjectStatus>("""{"branch_logical_size_limit_bytes":"8796093022208","synthetic_storage_size_bytes":0}""")!;
        Assert.Equal(8796093022208L, status.BranchLogicalSizeLimitBytes);
        Assert.Equal(0L, status.SyntheticStorageSizeBytes);
    }

    [Fact]
    public void Operation_names_keep_opaque_ids_untouched()
    {
        var name = ResourceName.Parse("projects/p/branches/b/endpoints/primary/operations/AbC+/x=");
        Assert.Equal(ResourceKind.Operation, name.Kind);
        Assert.Equal("AbC+/x=", name.OperationId);
        Assert.Equal("projects/p/branches/b/endpoints/primary", name.OperationTarget!.ToString());
        Assert.Equal("projects/p/branches/b/endpoints/primary/operations/AbC+/x=", name.ToString());
    }

    [Theory]
    [InlineData("projects/p", ResourceKind.Project)]
    [InlineData("projects/p/branches/b", ResourceKind.Branch)]
    [InlineData("projects/p/branches/b/roles/r", ResourceKind.Role)]
    [InlineData("projects/p/branches/b/databases/d", ResourceKind.Database)]
    public void Resource_names_round_trip(string text, ResourceKind kind)
    {
        var name = ResourceName.Parse(text);
        Assert.Equal(kind, name.Kind);
        Assert.Equal(text, name.ToString());
    }

    [Theory]
    [InlineData("my-app", true)]
    [InlineData("a", true)]
    [InlineData("Invalid_DB_ID", false)]
    [InlineData("ends-with-", false)]
    [InlineData("1abc", false)]
    public void Ids_follow_the_service_pattern(string id, bool valid)
    {
        Assert.Equal(valid, ResourceIds.IsValid(id));
        if (!valid) Assert.Equal($"Field database_id must match pattern ^[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$, got '{id}'.", ResourceIds.Describe("database_id", id));
    }
}
