using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A long-running operation (what -NoWait returns); pipe it to Wait-LakebaseOperation.</summary>
public sealed class LakebaseOperation
{
    internal LakebaseOperation(Operation operation)
    {
        Raw = operation;
        OperationName = operation.Name ?? "";
        Target = ResourceName.TryParse(OperationName, out var name) ? name.OperationTarget?.ToString() : null;
        Done = operation.IsDone;
        ErrorCode = operation.Error?.ErrorCode;
        ErrorMessage = operation.Error?.Message;
    }

    /// <summary>The operation's name, passed back to the service exactly as received.</summary>
    public string OperationName { get; }
    /// <summary>The resource the operation works on.</summary>
    public string? Target { get; }
    public bool Done { get; }
    public string? ErrorCode { get; }
    public string? ErrorMessage { get; }
    public Operation Raw { get; }

    public override string ToString() => OperationName;
}
