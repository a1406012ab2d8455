using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>Endpoints: the compute of a branch. Read-write runs on the branch's data; read-only is a hot standby.</summary>
internal sealed class EndpointService(Provisioning provisioning, OperationRunner operations)
{
    private Catalog Catalog => provisioning.Catalog;
    private LocalLimits Limits => provisioning.Limits;

    public Operation Create(ResourceName parent, string? endpointId, Endpoint body, JsonObject rawBody, bool replaceExisting)
    {
        Validation.RequireId("endpoint_id", endpointId);
        var name = ResourceName.Endpoint(parent.ProjectId, parent.BranchId!, endpointId!);
        var spec = body.Spec ?? new EndpointSpec();
        lock (provisioning.MetadataGate)
        {
            var branch = Catalog.RequireBranch(parent);
            if (Catalog.Store.Get<Endpoint>(name.ToString()) is not null)
            {
                if (replaceExisting) return Update(name, body, rawBody, null);
                throw ApiException.AlreadyExists(name);
            }
            if (spec.EndpointType is not (EndpointType.ReadWrite or EndpointType.ReadOnly))
                throw string.IsNullOrEmpty(spec.EndpointType) || spec.EndpointType == EndpointType.Unspecified
                    ? ApiException.Required("endpoint.spec.endpoint_type")
                    : ApiException.InvalidParameter($"endpoint_type '{spec.EndpointType}' is not ENDPOINT_TYPE_READ_WRITE or ENDPOINT_TYPE_READ_ONLY.");
            var readWrite = Catalog.ReadWriteEndpoint(branch.Name!);
            if (spec.EndpointType == EndpointType.ReadWrite && readWrite is not null)
                throw ApiException.BadRequest($"Branch {parent} already has a read-write endpoint ({readWrite.EndpointId}); a branch can have only one.");
            if (spec.EndpointType == EndpointType.ReadOnly && readWrite is null)
                throw ApiException.BadRequest($"Branch {parent} has no read-write endpoint for a read-only endpoint to follow.");
            var defaults = Catalog.RequireProject(parent).Status!.DefaultEndpointSettings ?? new ProjectDefaultEndpointSettings();
            var min = spec.AutoscalingLimitMinCu ?? defaults.AutoscalingLimitMinCu ?? Limits.DefaultEndpointCu;
            var max = spec.AutoscalingLimitMaxCu ?? Math.Max(min, defaults.AutoscalingLimitMaxCu ?? Limits.DefaultEndpointCu);
            Validation.ComputeLimits(min, max, "spec.");
            Validation.Suspension(Limits, spec.SuspendTimeoutDuration, spec.NoSuspension, "spec.");
            ValidateGroup(spec.Group);
            Validation.PgSettings(spec.Settings?.PgSettings);
            var inheritsSuspension = spec.SuspendTimeoutDuration is null && spec.NoSuspension is null;
            var endpoint = provisioning.NewEndpoint(parent.ToString(), endpointId!, spec.EndpointType, min, max,
                inheritsSuspension ? defaults.SuspendTimeoutDuration : spec.SuspendTimeoutDuration,
                inheritsSuspension ? defaults.NoSuspension : spec.NoSuspension,
                spec.Settings?.PgSettings ?? defaults.PgSettings, spec.Disabled ?? false);

            return operations.Start(name, OperationVerb.Create, batch => batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent),
                cancellationToken => provisioning.QueueAsync<object?>(parent.ProjectId, async () =>
                {
                    await provisioning.StartEndpointAsync(endpoint, cancellationToken).ConfigureAwait(false);
                    Catalog.Store.Write(batch => batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent));
                    return Catalog.Present(endpoint);
                }, cancellationToken), provisioning.Queued(parent.ProjectId, async () =>
                {
                    await provisioning.Computes.DeleteAsync(endpoint.Uid!, CancellationToken.None).ConfigureAwait(false);
                    Catalog.Store.Write(batch => batch.DeleteTree(name.ToString()));
                }));
        }
    }

    public Endpoint Get(ResourceName name) => Catalog.Present(Catalog.RequireChild<Endpoint>(name));

    public IEnumerable<Endpoint> List(ResourceName parent)
    {
        Catalog.RequireBranch(parent);
        return Catalog.Endpoints(parent.ToString()).Select(Catalog.Present);
    }

    public Operation Update(ResourceName name, Endpoint body, JsonObject rawBody, string? updateMask)
    {
        var mask = MaskedUpdate.Parse(ResourceKind.Endpoint, updateMask, rawBody);
        lock (provisioning.MetadataGate)
        {
            var endpoint = Catalog.RequireChild<Endpoint>(name);
            var status = endpoint.Status!;
            var spec = body.Spec ?? new EndpointSpec();
            if (mask.Covers("spec.endpoint_type") && !string.IsNullOrEmpty(spec.EndpointType) && spec.EndpointType != status.EndpointType)
                throw ApiException.InvalidParameter("endpoint_type cannot be changed after the endpoint is created.");
            var min = mask.Covers("spec.autoscaling_limit_min_cu") ? spec.AutoscalingLimitMinCu ?? status.AutoscalingLimitMinCu : status.AutoscalingLimitMinCu;
            var max = mask.Covers("spec.autoscaling_limit_max_cu") ? spec.AutoscalingLimitMaxCu ?? status.AutoscalingLimitMaxCu : status.AutoscalingLimitMaxCu;
            Validation.ComputeLimits(min, max, "spec.");
            status.AutoscalingLimitMinCu = min;
            status.AutoscalingLimitMaxCu = max;
            if (mask.Covers(FieldMask.EndpointSuspension))
            {
                Validation.Suspension(Limits, spec.SuspendTimeoutDuration, spec.NoSuspension, "spec.");
                status.SuspendTimeoutDuration = spec.NoSuspension == true ? null : spec.SuspendTimeoutDuration;
                status.NoSuspension = spec.NoSuspension;
            }
            if (mask.Covers("spec.disabled")) status.Disabled = spec.Disabled ?? false;
            if (mask.Covers("spec.group"))
            {
                ValidateGroup(spec.Group);
                status.Group = spec.Group ?? new EndpointGroup { Min = 1, Max = 1 };
            }
            if (mask.Covers("spec.settings.pg_settings"))
            {
                Validation.PgSettings(spec.Settings?.PgSettings);
                status.Settings = new EndpointSettings { PgSettings = spec.Settings?.PgSettings ?? [] };
            }
            // Applied first, saved after: settings PostgreSQL rejects leave the compute and the metadata as they were.
            return operations.Start(name, OperationVerb.Update, _ => { },
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    var current = Catalog.RequireChild<Endpoint>(name);
                    try
                    {
                        if (status.Disabled == true) await provisioning.Computes.StopAsync(endpoint.Uid!, cancellationToken).ConfigureAwait(false);
                        else await provisioning.Computes.ApplyAsync(Catalog.TargetOf(endpoint), Catalog.TargetOf(current), cancellationToken).ConfigureAwait(false);
                    }
                    catch (ArgumentException ex)
                    {
                        throw ApiException.InvalidParameter($"{ex.Message} The endpoint keeps its previous settings.");
                    }
                    current.Status = status;
                    current.UpdateTime = Catalog.Now();
                    Catalog.Store.Write(batch => batch.Put(ResourceKind.Endpoint, current, current.Name!, current.Parent));
                    return Catalog.Present(current);
                }, cancellationToken));
        }
    }

    public Operation Delete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            var endpoint = Catalog.RequireChild<Endpoint>(name);
            var branch = Catalog.RequireBranch(name);
            if (endpoint.Status!.EndpointType == EndpointType.ReadWrite)
                throw ApiException.ManagedByParent($"Cannot delete read-write endpoint '{endpoint.Name}'. It is managed by its branch and goes with it.");
            if (branch.Status!.IsProtected == true)
                throw ApiException.BadRequest($"Endpoint {name} cannot be deleted while branch {branch.Name} is protected.");
            return operations.Start(name, OperationVerb.Delete, batch => batch.DeleteTree(name.ToString()),
                cancellationToken => provisioning.QueueAsync<object?>(name.ProjectId, async () =>
                {
                    await provisioning.Computes.DeleteAsync(endpoint.Uid!, cancellationToken).ConfigureAwait(false);
                    return null;
                }, cancellationToken));
        }
    }

    private static void ValidateGroup(EndpointGroup? group)
    {
        if (group is null) return;
        if (group.Min is not >= 1 || group.Max is not >= 1)
            throw ApiException.InvalidParameter("spec.group.min and spec.group.max are required and must be at least 1.");
        if (group.Min != group.Max)
            throw ApiException.InvalidParameter("spec.group.max must currently equal spec.group.min.");
        if (group.Max > 1)
            throw new ApiException(ErrorCodes.NotImplemented, "High-availability groups (more than one compute) are not available in Lakebase Local.");
    }
}
