using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.State;

namespace Lakebase.Local.ControlPlane;

/// <summary>GET on an operation's name: the id is opaque, so the name is looked up exactly as the client sent it.</summary>
internal sealed class OperationLookup(StateStore store)
{
    public Operation Get(string name) =>
        store.GetOperation(name) ?? throw new ApiException(ErrorCodes.NotFound, $"operation not found; name:\"{name}\"");
}
