using System.Text.Json.Nodes;
using Lakebase.Contract;

namespace Lakebase.Local.ControlPlane;

/// <summary>A failure the API reports to the caller as the standard Databricks error body with this error_code.</summary>
internal sealed class ApiException(string errorCode, string message, JsonArray? details = null) : Exception(message)
{
    public string ErrorCode { get; } = errorCode;
    public JsonArray? Details { get; } = details;
    public int HttpStatus => ErrorCodes.HttpStatus(ErrorCode);

    /// <summary>The service's wording: <c>role not found; role_id:"does-not-exist"</c>.</summary>
    public static ApiException NotFound(ResourceName name)
    {
        var kind = name.Kind.ToString().ToLowerInvariant();
        return new(ErrorCodes.NotFound, $"{kind} not found; {kind}_id:\"{name.Id}\"");
    }

    public static ApiException InvalidParameter(string message) => new(ErrorCodes.InvalidParameterValue, message);

    public static ApiException Required(string field) =>
        InvalidParameter($"Field '{field}' is required, expected non-default value (not \"\")!");

    public static ApiException BadRequest(string message) => new(ErrorCodes.BadRequest, message);

    public static ApiException AlreadyExists(ResourceName name) =>
        new(ErrorCodes.AlreadyExists, $"{name.Kind.ToString().ToLowerInvariant()} with that name already exists: {name}");

    /// <summary>The 400 the service answers for deleting a resource its parent manages (the root branch, the primary endpoint).</summary>
    public static ApiException ManagedByParent(string message) => new(ErrorCodes.BadRequest, message, new JsonArray
    {
        new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
            ["reason"] = "RESOURCE_CONFLICT",
            ["domain"] = "databricks.com",
            ["metadata"] = new JsonObject { ["declarative_context"] = "MANAGED_BY_PARENT" },
        },
    });
}
