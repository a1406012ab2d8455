using System.Management.Automation;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Output;

/// <summary>
/// Lays a project's branches out as a tree: each branch under the one it was made from, siblings oldest first, drawn
/// with box lines in a Tree property. The objects stay branches (they pipe on as any other), marked with a type name
/// whose view shows the tree (formats/Lakebase.Format.ps1xml).
/// </summary>
internal static class BranchTree
{
    public const string TypeName = "Lakebase.PowerShell.Objects.LakebaseBranch#Tree";

    /// <summary>The branches in tree order; with <paramref name="rootName"/>, only that branch and its descendants.</summary>
    public static IEnumerable<PSObject> Layout(IReadOnlyCollection<LakebaseBranch> branches, string? rootName)
    {
        var names = branches.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var children = branches.ToLookup(b => b.SourceBranch is { } source && names.Contains(source) ? source : "");
        var roots = rootName is null ? children[""] : branches.Where(b => b.Name == rootName);
        return Walk(Ordered(roots), children, "", "");
    }

    private static IEnumerable<PSObject> Walk(IReadOnlyList<LakebaseBranch> level, ILookup<string, LakebaseBranch> children, string lead, string indent)
    {
        for (var i = 0; i < level.Count; i++)
        {
            var last = i == level.Count - 1;
            var branch = level[i];
            var item = PSObject.AsPSObject(branch);
            item.TypeNames.Insert(0, TypeName);
            item.Properties.Add(new PSNoteProperty("Tree", indent + (lead.Length == 0 ? "" : last ? "└─ " : "├─ ") + branch.BranchId));
            item.Properties.Add(new PSNoteProperty("ExpiresWithinDay", branch.ExpireTime is { } expiry && expiry - DateTimeOffset.UtcNow < TimeSpan.FromDays(1)));
            yield return item;
            var childIndent = lead.Length == 0 ? "" : indent + (last ? "   " : "│  ");
            foreach (var child in Walk(Ordered(children[branch.Name]), children, "child", childIndent)) yield return child;
        }
    }

    private static List<LakebaseBranch> Ordered(IEnumerable<LakebaseBranch> branches) =>
        branches.OrderBy(b => b.CreateTime).ThenBy(b => b.BranchId, StringComparer.Ordinal).ToList();
}
