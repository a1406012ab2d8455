using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.State;
using Lakebase.Local.Storage;

namespace Lakebase.Local.ControlPlane;

/// <summary>The identity a request runs as: a user e-mail or a service principal's application id.</summary>
internal sealed record Principal(string UserName, bool IsServicePrincipal)
{
    public string IdentityType => IsServicePrincipal ? Contract.Models.IdentityType.ServicePrincipal : Contract.Models.IdentityType.User;
}

/// <summary>
/// Reads of the control-plane metadata, with the status fields that describe live facts filled in from those facts:
/// whether a compute runs, how big a branch is, which branch is the default.
/// </summary>
internal sealed class Catalog(StateStore store, ComputeManager computes, BranchStorage storage)
{
    /// <summary>Timestamps as the service writes them: UTC, microsecond precision.</summary>
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % 10));
    }

    public StateStore Store => store;

    public Project RequireProject(ResourceName name, bool allowDeleted = false)
    {
        var project = store.Get<Project>(name.ProjectName) ?? throw ApiException.NotFound(ResourceName.Project(name.ProjectId));
        if (!allowDeleted && project.DeleteTime is not null) throw ApiException.NotFound(ResourceName.Project(name.ProjectId));
        return project;
    }

    public Branch RequireBranch(ResourceName name, bool allowDeleted = false)
    {
        RequireProject(name);
        var branchName = ResourceName.Branch(name.ProjectId, name.BranchId!);
        var branch = store.Get<Branch>(branchName.ToString()) ?? throw ApiException.NotFound(branchName);
        if (!allowDeleted && branch.Status!.DeleteTime is not null) throw ApiException.NotFound(branchName);
        return branch;
    }

    public T RequireChild<T>(ResourceName name) where T : class
    {
        RequireBranch(name);
        return store.Get<T>(name.ToString()) ?? throw ApiException.NotFound(name);
    }

    public List<Branch> Branches(string projectName) => store.List<Branch>(ResourceKind.Branch, projectName);
    public List<Endpoint> Endpoints(string branchName) => store.List<Endpoint>(ResourceKind.Endpoint, branchName);
    public List<Role> Roles(string branchName) => store.List<Role>(ResourceKind.Role, branchName);
    public List<Database> Databases(string branchName) => store.List<Database>(ResourceKind.Database, branchName);

    public Endpoint? ReadWriteEndpoint(string branchName) =>
        Endpoints(branchName).FirstOrDefault(endpoint => endpoint.Status!.EndpointType == EndpointType.ReadWrite);

    /// <summary>What runs the endpoint: sizes from its status, data from its branch (a standby of the primary when read-only).</summary>
    public ComputeTarget TargetOf(Endpoint endpoint)
    {
        var name = ResourceName.Parse(endpoint.Name!);
        var branch = store.Get<Branch>(name.BranchName!)!;
        var project = store.Get<Project>(name.ProjectName)!;
        var status = endpoint.Status!;
        var primary = status.EndpointType == EndpointType.ReadOnly && ReadWriteEndpoint(branch.Name!) is { } readWrite ? TargetOf(readWrite) : null;
        return new ComputeTarget(endpoint.Uid!, branch.Uid!, project.Status!.PgVersion!.Value, status.AutoscalingLimitMinCu ?? 0.5,
            status.AutoscalingLimitMaxCu ?? 0.5, status.Settings?.PgSettings ?? new Dictionary<string, string>(), primary);
    }

    public Branch Present(Branch branch)
    {
        var project = store.Get<Project>(branch.Parent!);
        branch.Status!.Default = project?.Status?.DefaultBranch == branch.Name;
        if (branch.Status.CurrentState == BranchState.Ready) branch.Status.LogicalSizeBytes = storage.LogicalSize(branch.Uid!);
        return branch;
    }

    public Endpoint Present(Endpoint endpoint)
    {
        var status = endpoint.Status!;
        if (status.CurrentState != EndpointState.Init)
            status.CurrentState = computes.DegradedReason(endpoint.Uid!) is not null ? EndpointState.Degraded
                : computes.IsRunning(endpoint.Uid!) ? EndpointState.Active : EndpointState.Idle;
        status.LastActiveTime = computes.LastActive(endpoint.Uid!) ?? status.LastActiveTime;
        // The service always names a read-only endpoint's host as its read_only_host too (postgres-api.md §2.3).
        if (status.EndpointType == EndpointType.ReadOnly && status.Hosts is { } hosts) hosts.ReadOnlyHost = hosts.Host;
        return endpoint;
    }
}
