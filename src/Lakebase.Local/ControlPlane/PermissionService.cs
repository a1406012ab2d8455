using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>The local user Lakebase Local runs for: its admin, above every project's permissions.</summary>
internal sealed record AdminIdentity(string UserName);

/// <summary>
/// Project permissions as the service has them: CAN_USE (read the project and everything in it, mint database
/// credentials for its endpoints) and CAN_MANAGE (change and delete it, and its permissions), granted to users,
/// groups (here only "users", which every identity is in, has members) and service principals. The creator gets
/// CAN_MANAGE; the admin identity manages everything, shown as the admins group's inherited CAN_MANAGE.
/// </summary>
internal sealed class PermissionService(StateStore store, AdminIdentity admin)
{
    private const int MaxNameLength = 256;

    /// <summary>The creator's grant, written with the project.</summary>
    public static AccessControlRequest CreatorGrant(Principal creator) => Grant(creator.UserName, creator.IsServicePrincipal, PermissionLevel.CanManage);

    public ObjectPermissions Get(string projectId, Principal caller)
    {
        var project = RequireProject(projectId);
        Require(caller.UserName, project, PermissionLevel.CanUse);
        return Present(projectId, AccessControlList(project));
    }

    /// <summary>PUT: the list becomes exactly <paramref name="request"/>'s (the admin keeps managing).</summary>
    public ObjectPermissions Set(string projectId, ObjectPermissionsRequest request, Principal caller) =>
        Change(projectId, request, caller, (_, requested) => requested);

    /// <summary>PATCH: each principal named gets the level given; everyone else keeps theirs.</summary>
    public ObjectPermissions Update(string projectId, ObjectPermissionsRequest request, Principal caller) =>
        Change(projectId, request, caller, (current, requested) =>
            [.. current.Where(entry => !requested.Any(change => Key(change) == Key(entry))), .. requested]);

    /// <summary>Whether <paramref name="identity"/> (a user name or a service principal's application id) holds at
    /// least <paramref name="level"/> on the project; false for a project that does not exist. The proxy's check.</summary>
    public bool Allows(string identity, string projectId, string level) =>
        store.Get<Project>(ResourceName.Project(projectId).ToString()) is { } project && Holds(identity, project, level);

    /// <summary>Throws PERMISSION_DENIED unless the caller holds <paramref name="level"/>; a project that does not
    /// exist is left to the caller's own not-found answer.</summary>
    public void Require(Principal caller, string projectId, string level)
    {
        if (store.Get<Project>(ResourceName.Project(projectId).ToString()) is { } project) Require(caller.UserName, project, level);
    }

    private void Require(string identity, Project project, string level)
    {
        if (!Holds(identity, project, level))
            throw new ApiException(ErrorCodes.PermissionDenied, $"'{identity}' does not have {level} permission on project '{project.ProjectId}'.");
    }

    private bool Holds(string identity, Project project, string level) =>
        identity == admin.UserName ||
        AccessControlList(project).Where(entry => entry.UserName == identity || entry.ServicePrincipalName == identity || entry.GroupName == DatabaseProjectPermissions.UsersGroup)
            .Any(entry => PermissionLevel.Rank(entry.PermissionLevel) >= PermissionLevel.Rank(level));

    private ObjectPermissions Change(string projectId, ObjectPermissionsRequest request, Principal caller,
        Func<List<AccessControlRequest>, List<AccessControlRequest>, List<AccessControlRequest>> combine)
    {
        var project = RequireProject(projectId);
        Require(caller.UserName, project, PermissionLevel.CanManage);
        var requested = Validate(request);
        var list = combine(AccessControlList(project), requested);
        store.Write(batch => batch.PutPermissions(project.Name!, list));
        return Present(projectId, list);
    }

    /// <summary>The stored list; a project made before permissions existed has its owner as manager.</summary>
    private List<AccessControlRequest> AccessControlList(Project project) =>
        store.GetPermissions(project.Name!) ?? [Grant(project.Status?.Owner ?? admin.UserName, isServicePrincipal: Guid.TryParse(project.Status?.Owner, out _), PermissionLevel.CanManage)];

    private Project RequireProject(string projectId)
    {
        if (!ResourceIds.IsValid(projectId)) throw ApiException.InvalidParameter($"'{projectId}' is not a project id.");
        var name = ResourceName.Project(projectId);
        return store.Get<Project>(name.ToString()) ?? throw ApiException.NotFound(name);
    }

    /// <summary>One entry per principal (the highest level when one is named twice).</summary>
    private static List<AccessControlRequest> Validate(ObjectPermissionsRequest request)
    {
        if (request.AccessControlList is null) throw ApiException.Required("access_control_list");
        foreach (var entry in request.AccessControlList)
        {
            var names = new[] { entry.UserName, entry.GroupName, entry.ServicePrincipalName }.Where(name => !string.IsNullOrEmpty(name)).ToList();
            if (names.Count != 1)
                throw ApiException.InvalidParameter("Each access_control_list entry needs exactly one of user_name, group_name and service_principal_name.");
            if (names[0]!.Length > MaxNameLength || names[0]!.Any(char.IsControl))
                throw ApiException.InvalidParameter($"'{names[0]}' is not a principal name: at most {MaxNameLength} characters, no control characters.");
            if (PermissionLevel.Rank(entry.PermissionLevel) == 0)
                throw ApiException.InvalidParameter($"Permission level '{entry.PermissionLevel}' is not supported for database projects; use {PermissionLevel.CanUse} or {PermissionLevel.CanManage}.");
        }
        return request.AccessControlList.GroupBy(Key)
            .Select(group => group.MaxBy(entry => PermissionLevel.Rank(entry.PermissionLevel))!)
            .Select(entry => new AccessControlRequest
            {
                UserName = NullIfEmpty(entry.UserName), GroupName = NullIfEmpty(entry.GroupName),
                ServicePrincipalName = NullIfEmpty(entry.ServicePrincipalName), PermissionLevel = entry.PermissionLevel,
            })
            .ToList();
    }

    private static ObjectPermissions Present(string projectId, IEnumerable<AccessControlRequest> list) => new()
    {
        ObjectId = DatabaseProjectPermissions.ObjectId(projectId),
        ObjectType = DatabaseProjectPermissions.ObjectType,
        AccessControlList =
        [
            .. list.Select(entry => new AccessControlResponse
            {
                UserName = entry.UserName,
                GroupName = entry.GroupName,
                ServicePrincipalName = entry.ServicePrincipalName,
                DisplayName = entry.UserName ?? entry.GroupName ?? entry.ServicePrincipalName,
                AllPermissions = [new Permission { PermissionLevel = entry.PermissionLevel, Inherited = false }],
            }),
            new AccessControlResponse
            {
                GroupName = DatabaseProjectPermissions.AdminsGroup,
                DisplayName = DatabaseProjectPermissions.AdminsGroup,
                AllPermissions = [new Permission { PermissionLevel = PermissionLevel.CanManage, Inherited = true, InheritedFromObject = ["/database-projects/"] }],
            },
        ],
    };

    private static AccessControlRequest Grant(string name, bool isServicePrincipal, string level) => isServicePrincipal
        ? new AccessControlRequest { ServicePrincipalName = name, PermissionLevel = level }
        : new AccessControlRequest { UserName = name, PermissionLevel = level };

    private static string Key(AccessControlRequest entry) =>
        !string.IsNullOrEmpty(entry.UserName) ? "user:" + entry.UserName
        : !string.IsNullOrEmpty(entry.GroupName) ? "group:" + entry.GroupName
        : "sp:" + entry.ServicePrincipalName;

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
