using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>Roles: real PostgreSQL roles on the branch (CREATE/ALTER/DROP ROLE), recorded with the effective settings.</summary>
internal sealed class RoleService(Provisioning provisioning, OperationRunner operations)
{
    private Catalog Catalog => provisioning.Catalog;

    public Operation Create(ResourceName parent, string? roleId, Role body, JsonObject rawBody, bool replaceExisting)
    {
        var spec = body.Spec ?? new RoleSpec();
        Validation.PostgresName("role.spec.postgres_role", spec.PostgresRole);
        if (roleId is not null) Validation.RoleId(roleId);
        lock (provisioning.MetadataGate)
        {
            Catalog.RequireBranch(parent);
            var existing = Catalog.Roles(parent.ToString());
            roleId ??= Validation.DeriveId(spec.PostgresRole, "role", id => existing.Any(role => role.RoleId == id));
            var name = ResourceName.Role(parent.ProjectId, parent.BranchId!, roleId);
            if (existing.Any(role => role.RoleId == roleId))
            {
                if (replaceExisting) return Update(name, body, rawBody, "spec");
                throw ApiException.BadRequest("role with that name already exists");
            }
            if (existing.Any(role => role.Status!.PostgresRole == spec.PostgresRole))
                throw ApiException.BadRequest($"role with that name already exists: postgres role \"{spec.PostgresRole}\"");
            if (existing.Count >= provisioning.Limits.MaxRolesPerBranch)
                throw ApiException.BadRequest($"Branch {parent} has {existing.Count} roles, the most a branch can have; delete one first.");
            var role = Provisioning.NewRole(parent.ToString(), roleId, Effective(spec));
            return operations.Start(name, OperationVerb.Create, batch => batch.Put(ResourceKind.Role, role, role.Name!, role.Parent),
                cancellationToken => provisioning.QueueAsync<object?>(parent.ProjectId, async () =>
                {
                    await using var connection = await provisioning.ConnectAsync(parent.ToString(), "postgres", cancellationToken).ConfigureAwait(false);
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await PostgresAdmin.CreateRoleAsync(connection, role.Status!, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return role;
                }, cancellationToken), provisioning.Queued(parent.ProjectId, () =>
                {
                    Catalog.Store.Write(batch => batch.DeleteTree(name.ToString()));
                    return Task.CompletedTask;
                }));
        }
    }

    public Role Get(ResourceName name) => Catalog.RequireChild<Role>(name);

    public IEnumerable<Role> List(ResourceName parent)
    {
        Catalog.RequireBranch(parent);
        return Catalog.Roles(parent.ToString());
    }

    public Operation Update(ResourceName name, Role body, JsonObject rawBody, string? updateMask)
    {
        var mask = MaskedUpdate.Parse(ResourceKind.Role, updateMask, rawBody);
        lock (provisioning.MetadataGate)
        {
            var role = Catalog.RequireChild<Role>(name);
            var before = role.Status!;
            var spec = body.Spec ?? new RoleSpec();
            var after = Effective(new RoleSpec
            {
                PostgresRole = mask.Covers("spec.postgres_role") ? spec.PostgresRole : before.PostgresRole,
                IdentityType = mask.Covers("spec.identity_type") ? spec.IdentityType : before.IdentityType,
                AuthMethod = mask.Covers("spec.auth_method") ? spec.AuthMethod : before.AuthMethod,
                MembershipRoles = mask.Covers("spec.membership_roles") ? spec.MembershipRoles ?? [] : before.MembershipRoles,
                Attributes = new RoleAttributes
                {
                    Bypassrls = mask.Covers("spec.attributes.bypassrls") ? spec.Attributes?.Bypassrls ?? false : before.Attributes?.Bypassrls,
                    Createdb = mask.Covers("spec.attributes.createdb") ? spec.Attributes?.Createdb ?? false : before.Attributes?.Createdb,
                    Createrole = mask.Covers("spec.attributes.createrole") ? spec.Attributes?.Createrole ?? false : before.Attributes?.Createrole,
                },
            });
            Validation.PostgresName("role.spec.postgres_role", after.PostgresRole);
            after.RoleId = role.RoleId;
            var previousName = before.PostgresRole!;
            // PostgreSQL first, in one transaction (a rename and new attributes together or not at all); the metadata
            // is written after, onto the role as it is then.
            return operations.Start(name, OperationVerb.Update, _ => { },
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await using (var connection = await provisioning.ConnectAsync(name.BranchName!, "postgres", cancellationToken).ConfigureAwait(false))
                    await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await PostgresAdmin.AlterRoleAsync(connection, previousName, after, cancellationToken).ConfigureAwait(false);
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    var current = Catalog.RequireChild<Role>(name);
                    current.Status = after;
                    current.UpdateTime = Catalog.Now();
                    Catalog.Store.Write(batch => batch.Put(ResourceKind.Role, current, current.Name!, current.Parent));
                    return current;
                }, cancellationToken));
        }
    }

    public Operation Delete(ResourceName name, string? reassignOwnedTo)
    {
        lock (provisioning.MetadataGate)
        {
            var role = Catalog.RequireChild<Role>(name);
            if (Catalog.Store.IsImplicit(name.ToString()))
                throw ApiException.ManagedByParent($"Cannot delete role '{name}'. It was created with its project and is deleted with it.");
            Role? heir = null;
            if (!string.IsNullOrEmpty(reassignOwnedTo))
            {
                var heirName = ResourceName.TryParse(reassignOwnedTo, out var parsed) && parsed.Kind == ResourceKind.Role
                    ? parsed
                    : ResourceName.Role(name.ProjectId, name.BranchId!, reassignOwnedTo);
                heir = Catalog.RequireChild<Role>(heirName);
            }
            var owned = Catalog.Databases(name.BranchName!).Where(database => database.Status!.Role == role.Name).Select(d => d.DatabaseId).ToList();
            if (owned.Count > 0 && heir is null)
                throw ApiException.BadRequest($"Role {name} owns databases ({string.Join(", ", owned)}); delete them or pass reassign_owned_to.");
            // DROP ROLE first: when PostgreSQL refuses (the role owns objects), the role stays listed as it stays real.
            return operations.Start(name, OperationVerb.Delete, _ => { },
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await PostgresAdmin.DropRoleAsync(database => provisioning.ConnectAsync(name.BranchName!, database, cancellationToken),
                        role.Status!.PostgresRole!, heir?.Status!.PostgresRole, cancellationToken).ConfigureAwait(false);
                    Catalog.Store.Write(batch =>
                    {
                        batch.DeleteTree(name.ToString());
                        foreach (var database in Catalog.Databases(name.BranchName!).Where(database => database.Status!.Role == role.Name))
                        {
                            database.Status!.Role = heir!.Name;
                            batch.Put(ResourceKind.Database, database, database.Name!, database.Parent);
                        }
                    });
                    return null;
                }, cancellationToken));
        }
    }

    /// <summary>The status the service reports: enums filled with their derived or zero values, attributes always present.</summary>
    /// <summary>What a role's spec comes to: auth method derived from the identity where not given, attributes all set.</summary>
    public static RoleStatus Effective(RoleSpec spec)
    {
        var identity = string.IsNullOrEmpty(spec.IdentityType) ? IdentityType.Unspecified : spec.IdentityType;
        var authMethod = !string.IsNullOrEmpty(spec.AuthMethod) && spec.AuthMethod != AuthMethod.Unspecified ? spec.AuthMethod : identity switch
        {
            IdentityType.User or IdentityType.ServicePrincipal => AuthMethod.LakebaseOAuthV1,
            IdentityType.Group => AuthMethod.NoLogin,
            _ => AuthMethod.PgPasswordScramSha256,
        };
        if (identity == IdentityType.Unspecified && authMethod == AuthMethod.LakebaseOAuthV1)
            throw ApiException.InvalidParameter("auth_method LAKEBASE_OAUTH_V1 needs an identity_type (USER, SERVICE_PRINCIPAL or GROUP).");
        return new RoleStatus
        {
            PostgresRole = spec.PostgresRole,
            IdentityType = identity,
            AuthMethod = authMethod,
            MembershipRoles = spec.MembershipRoles?.Where(m => m != MembershipRole.Unspecified).Distinct().ToList() ?? [],
            Attributes = new RoleAttributes
            {
                Bypassrls = spec.Attributes?.Bypassrls ?? false,
                Createdb = spec.Attributes?.Createdb ?? false,
                Createrole = spec.Attributes?.Createrole ?? false,
            },
        };
    }
}
