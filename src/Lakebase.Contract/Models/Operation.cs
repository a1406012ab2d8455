using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lakebase.Contract.Models;

/// <summary>A long-running operation: name is {resource}/operations/{opaque id}; pass it back untouched.</summary>
public sealed class Operation
{
    public string? Name { get; set; }
    /// <summary>Missing means false.</summary>
    public bool? Done { get; set; }
    public JsonElement? Metadata { get; set; }
    /// <summary>On success: the resource, or an empty message for deletes. Always present when done without error.</summary>
    public JsonElement? Response { get; set; }
    public ApiError? Error { get; set; }

    [JsonIgnore] public bool IsDone => Done == true;
}

/// <summary>DatabricksServiceExceptionWithDetailsProto: the error body of a failed call or operation.</summary>
public sealed class ApiError
{
    public string? ErrorCode { get; set; }
    public string? Message { get; set; }
    public List<JsonElement>? Details { get; set; }
}

public sealed class DatabaseCredentialRequest
{
    public string? Endpoint { get; set; }
    public TimeSpan? Ttl { get; set; }
    public DateTimeOffset? ExpireTime { get; set; }
    /// <summary>Scopes the credential: READ_ONLY on the Unity Catalog tables named.</summary>
    public List<DatabaseCredentialClaim>? Claims { get; set; }
    /// <summary>(preview) The credential logs in as this group's Postgres role; the caller must be a member.</summary>
    public string? GroupName { get; set; }
}

public sealed class DatabaseCredentialClaim
{
    public string? PermissionSet { get; set; }
    public List<DatabaseCredentialResource>? Resources { get; set; }
}

public sealed class DatabaseCredentialResource
{
    public string? TableName { get; set; }
}

public static class PermissionSet
{
    public const string Unspecified = "PERMISSION_SET_UNSPECIFIED";
    public const string ReadOnly = "READ_ONLY";
}

public sealed class DatabaseCredential
{
    public string? Token { get; set; }
    public DateTimeOffset? ExpireTime { get; set; }
}

public sealed class ListProjectsResponse { public List<Project>? Projects { get; set; } public string? NextPageToken { get; set; } }
public sealed class ListBranchesResponse { public List<Branch>? Branches { get; set; } public string? NextPageToken { get; set; } }
public sealed class ListEndpointsResponse { public List<Endpoint>? Endpoints { get; set; } public string? NextPageToken { get; set; } }
public sealed class ListRolesResponse { public List<Role>? Roles { get; set; } public string? NextPageToken { get; set; } }
public sealed class ListDatabasesResponse { public List<Database>? Databases { get; set; } public string? NextPageToken { get; set; } }
