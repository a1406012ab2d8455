using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A Postgres database on a branch and the role that owns it.</summary>
public sealed class LakebaseDatabase
{
    internal LakebaseDatabase(Database database)
    {
        Raw = database;
        var status = database.Status ?? new DatabaseStatus();
        Name = database.Name ?? "";
        var name = ResourceName.Parse(Name);
        ProjectId = name.ProjectId;
        BranchId = name.BranchId!;
        DatabaseId = name.ChildId!;
        PostgresDatabase = status.PostgresDatabase;
        OwnerRole = status.Role;
    }

    public string Name { get; }
    public string ProjectId { get; }
    public string BranchId { get; }
    public string DatabaseId { get; }
    public string? PostgresDatabase { get; }
    /// <summary>The owning role's resource name.</summary>
    public string? OwnerRole { get; }
    public Database Raw { get; }

    public override string ToString() => Name;
}
