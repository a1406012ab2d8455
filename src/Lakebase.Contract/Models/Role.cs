namespace Lakebase.Contract.Models;

public sealed class Role
{
    public string? Name { get; set; }
    public string? RoleId { get; set; }
    public string? Parent { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public RoleSpec? Spec { get; set; }
    public RoleStatus? Status { get; set; }
}

public sealed class RoleSpec
{
    public string? PostgresRole { get; set; }
    public string? IdentityType { get; set; }
    public string? AuthMethod { get; set; }
    public List<string>? MembershipRoles { get; set; }
    public RoleAttributes? Attributes { get; set; }
}

public sealed class RoleStatus
{
    public string? RoleId { get; set; }
    public string? PostgresRole { get; set; }
    public string? IdentityType { get; set; }
    public string? AuthMethod { get; set; }
    public List<string>? MembershipRoles { get; set; }
    public RoleAttributes? Attributes { get; set; }
}

/// <summary>Keys follow Postgres keyword spelling: bypassrls, createdb, createrole.</summary>
public sealed class RoleAttributes
{
    public bool? Bypassrls { get; set; }
    public bool? Createdb { get; set; }
    public bool? Createrole { get; set; }
}
