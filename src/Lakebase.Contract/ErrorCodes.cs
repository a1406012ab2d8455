namespace Lakebase.Contract;

/// <summary>The error_code values that matter, and the HTTP status each maps to.</summary>
public static class ErrorCodes
{
    public const string BadRequest = "BAD_REQUEST";
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";
    public const string InvalidState = "INVALID_STATE";
    public const string MalformedRequest = "MALFORMED_REQUEST";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string NotFound = "NOT_FOUND";
    public const string AlreadyExists = "ALREADY_EXISTS";
    public const string Aborted = "ABORTED";
    public const string ResourceConflict = "RESOURCE_CONFLICT";
    public const string ResourceExhausted = "RESOURCE_EXHAUSTED";
    public const string RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED";
    public const string Cancelled = "CANCELLED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string NotImplemented = "NOT_IMPLEMENTED";
    public const string TemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE";
    public const string DeadlineExceeded = "DEADLINE_EXCEEDED";

    public static int HttpStatus(string errorCode) => errorCode switch
    {
        BadRequest or InvalidParameterValue or InvalidState or MalformedRequest or "RESOURCE_ALREADY_EXISTS" => 400,
        Unauthenticated or "CUSTOMER_UNAUTHORIZED" => 401,
        PermissionDenied => 403,
        NotFound or "RESOURCE_DOES_NOT_EXIST" or "ENDPOINT_NOT_FOUND" or "FEATURE_DISABLED" => 404,
        AlreadyExists or Aborted or ResourceConflict => 409,
        ResourceExhausted or RequestLimitExceeded => 429,
        Cancelled => 499,
        InternalError or "UNKNOWN" or "DATA_LOSS" => 500,
        NotImplemented => 501,
        TemporarilyUnavailable or "UNAVAILABLE" => 503,
        DeadlineExceeded => 504,
        _ => 500,
    };
}
