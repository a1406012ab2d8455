namespace Lakebase.Contract.Models;

// Enums travel as strings so that unknown values (including the *_UNSPECIFIED zero values) never break a reader.

public static class BranchState
{
    public const string Unspecified = "STATE_UNSPECIFIED";
    public const string Init = "INIT";
    public const string Importing = "IMPORTING";
    public const string Resetting = "RESETTING";
    public const string Ready = "READY";
    public const string Archived = "ARCHIVED";
    public const string Deleted = "DELETED";
}

public static class EndpointState
{
    public const string Unspecified = "STATE_UNSPECIFIED";
    public const string Init = "INIT";
    public const string Active = "ACTIVE";
    public const string Idle = "IDLE";
    public const string Degraded = "DEGRADED";
}

public static class EndpointType
{
    public const string Unspecified = "ENDPOINT_TYPE_UNSPECIFIED";
    public const string ReadWrite = "ENDPOINT_TYPE_READ_WRITE";
    public const string ReadOnly = "ENDPOINT_TYPE_READ_ONLY";
}

public static class IdentityType
{
    public const string Unspecified = "IDENTITY_TYPE_UNSPECIFIED";
    public const string User = "USER";
    public const string ServicePrincipal = "SERVICE_PRINCIPAL";
    public const string Group = "GROUP";
}

public static class AuthMethod
{
    public const string Unspecified = "AUTH_METHOD_UNSPECIFIED";
    public const string LakebaseOAuthV1 = "LAKEBASE_OAUTH_V1";
    public const string PgPasswordScramSha256 = "PG_PASSWORD_SCRAM_SHA_256";
    public const string NoLogin = "NO_LOGIN";
}

public static class MembershipRole
{
    public const string Unspecified = "MEMBERSHIP_ROLE_UNSPECIFIED";
    public const string DatabricksSuperuser = "DATABRICKS_SUPERUSER";
}
