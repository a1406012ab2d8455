namespace Lakebase.Contract.Local;

/// <summary>
/// The body of Lakebase Local's reset from parent (POST /api/2.0/lakebase-local/projects/{p}/branches/{b}/reset),
/// which the postgres API lacks: the service offers reset only in its UI. The answer is an operation, as for any
/// change to a branch, whose response is the reset branch.
/// </summary>
public sealed class LocalBranchReset
{
    /// <summary>When set, the branch's data before the reset is kept as a new branch of this id (as Neon's
    /// --preserve-under-name).</summary>
    public string? PreserveUnderName { get; set; }

    public static string Path(string branchName) => $"/api/2.0/lakebase-local/{branchName}/reset";
}
