namespace Lakebase.Contract.Models;

public sealed class Database
{
    public string? Name { get; set; }
    public string? DatabaseId { get; set; }
    public string? Parent { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public DatabaseSpec? Spec { get; set; }
    public DatabaseStatus? Status { get; set; }
}

public sealed class DatabaseSpec
{
    /// <summary>The owning role's resource name (projects/p/branches/b/roles/r).</summary>
    public string? Role { get; set; }
    public string? PostgresDatabase { get; set; }
}

public sealed class DatabaseStatus
{
    public string? DatabaseId { get; set; }
    public string? PostgresDatabase { get; set; }
    public string? Role { get; set; }
}
