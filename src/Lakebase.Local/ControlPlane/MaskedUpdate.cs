using System.Text.Json.Nodes;
using Lakebase.Contract;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// update_mask as the service applies it: only masked paths change; every masked path must name an updatable field
/// (or oneof group) that is present in the body; create-only paths (Terraform sends initial_*) are ignored; an empty
/// mask (also a create with replace_existing) means every updatable field the body carries.
/// </summary>
internal sealed class MaskedUpdate
{
    private readonly IReadOnlyList<string> _paths;

    private MaskedUpdate(IReadOnlyList<string> paths) => _paths = paths;

    public IReadOnlyList<string> Paths => _paths;

    public static MaskedUpdate Parse(ResourceKind kind, string? updateMask, JsonObject body)
    {
        var updatable = FieldMask.UpdatablePaths(kind);
        var groups = FieldMask.OneofGroups(kind);
        var requested = FieldMask.Parse(updateMask).Where(path => !FieldMask.IsCreateOnly(path)).Select(path => path == "*" ? "spec" : path).ToList();
        if (requested.Count == 0)
        {
            if (!string.IsNullOrWhiteSpace(updateMask)) return new MaskedUpdate(requested);
            // A field of a oneof (spec.ttl) is updated through its group (spec.expiration), as a mask would name it.
            requested = (body["spec"] as JsonObject)?.Select(field => "spec." + field.Key)
                .Select(path => groups.FirstOrDefault(group => group.Value.Contains(path)).Key ?? path)
                .Where(updatable.Contains).Distinct().ToList() ?? [];
        }
        foreach (var path in requested)
        {
            if (!updatable.Contains(path))
                throw ApiException.InvalidParameter($"update_mask path '{path}' does not name an updatable field of the {kind.ToString().ToLowerInvariant()}.");
            var present = groups.TryGetValue(path, out var members) ? members.Any(member => IsPresent(body, member)) : IsPresent(body, path);
            if (!present)
                throw ApiException.InvalidParameter($"update_mask path '{path}' is not set in the request body.");
        }
        return new MaskedUpdate(requested);
    }

    /// <summary>True when the mask changes <paramref name="path"/>: it names it, one of its parents, or its oneof group.</summary>
    public bool Covers(string path) => _paths.Any(masked => masked == path || path.StartsWith(masked + ".", StringComparison.Ordinal));

    private static bool IsPresent(JsonObject body, string path)
    {
        JsonNode? node = body;
        foreach (var segment in path.Split('.'))
        {
            if (node is not JsonObject current || !current.TryGetPropertyValue(segment, out node)) return false;
        }
        return true;
    }
}
