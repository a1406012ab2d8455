using Lakebase.Contract;

namespace Lakebase.PowerShell.Binding;

/// <summary>Builds resource names from what the user typed: an id (dev) or a full name (projects/app/branches/dev).</summary>
internal static class Names
{
    public static ResourceName Project(string project) => Parse(project, ResourceKind.Project) ?? ResourceName.Project(CheckedId(project, "ProjectId"));

    public static ResourceName Branch(string? project, string branch) => Parse(branch, ResourceKind.Branch)
        ?? ResourceName.Branch(Project(Require(project, "ProjectId")).ProjectId, CheckedId(branch, "BranchId"));

    public static ResourceName Child(ResourceKind kind, string? project, string? branch, string child, string parameter)
    {
        if (Parse(child, kind) is { } full) return full;
        var parent = Branch(project, Require(branch, "BranchId"));
        return new ResourceName(kind, parent.ProjectId, parent.BranchId,
            kind switch
            {
                ResourceKind.Role => CheckedRoleId(child, parameter),
                ResourceKind.Database => CheckedDatabaseId(child, parameter),
                _ => CheckedId(child, parameter),
            });
    }

    /// <summary>Ids follow the service's rule; checked here so a typo fails before anything is sent.</summary>
    public static string CheckedId(string id, string parameter) => ResourceIds.IsValid(id)
        ? id
        : throw new ArgumentException($"'{id}' is not a valid {parameter}: use 1-63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.", parameter);

    /// <summary>Role ids have their own rule: 4 to 63 characters.</summary>
    public static string CheckedRoleId(string id, string parameter) => ResourceIds.IsValidRoleId(id)
        ? id
        : throw new ArgumentException($"'{id}' is not a valid {parameter}: use 4-63 lowercase letters, digits and hyphens, starting with a letter.", parameter);

    /// <summary>Database ids: the rule of other ids, with at least 4 characters.</summary>
    public static string CheckedDatabaseId(string id, string parameter) => ResourceIds.IsValidDatabaseId(id)
        ? id
        : throw new ArgumentException($"'{id}' is not a valid {parameter}: use 4-63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.", parameter);

    private static ResourceName? Parse(string text, ResourceKind kind)
    {
        if (!text.Contains('/')) return null;
        return ResourceName.TryParse(text, out var name) && name.Kind == kind
            ? name
            : throw new ArgumentException($"'{text}' is not a {kind.ToString().ToLowerInvariant()} name (expected an id or a full name such as {Example(kind)}).");
    }

    private static string Require(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"-{parameter} is required (or pipe in an object that has it).", parameter) : value;

    private static string Example(ResourceKind kind) => kind switch
    {
        ResourceKind.Project => "projects/my-app",
        ResourceKind.Branch => "projects/my-app/branches/dev",
        _ => $"projects/my-app/branches/dev/{kind.ToString().ToLowerInvariant()}s/x",
    };
}
