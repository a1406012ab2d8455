using Wire = Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

// The values a parameter takes and the matching property shows, one type for both: output pipes back in, compares
// with -eq, and completes with Tab. JSON keeps the wire strings; WireValues translates at the edge.

/// <summary>Who a role is: a Databricks user, service principal or group (or, null, a plain Postgres role).</summary>
public enum IdentityType { User, ServicePrincipal, Group }

/// <summary>How a role logs in: with Lakebase OAuth tokens, a Postgres password, or not at all.</summary>
public enum AuthMethod { LakebaseOAuth, Password, NoLogin }

/// <summary>The kind of compute: the branch's read-write primary or a read-only replica.</summary>
public enum EndpointType { ReadWrite, ReadOnly }

/// <summary>The wire strings of the choices, both ways; an unknown wire value reads as null rather than failing.</summary>
internal static class WireValues
{
    private static readonly Dictionary<IdentityType, string> Identities = new()
    {
        [IdentityType.User] = Wire.IdentityType.User,
        [IdentityType.ServicePrincipal] = Wire.IdentityType.ServicePrincipal,
        [IdentityType.Group] = Wire.IdentityType.Group,
    };

    private static readonly Dictionary<AuthMethod, string> AuthMethods = new()
    {
        [AuthMethod.LakebaseOAuth] = Wire.AuthMethod.LakebaseOAuthV1,
        [AuthMethod.Password] = Wire.AuthMethod.PgPasswordScramSha256,
        [AuthMethod.NoLogin] = Wire.AuthMethod.NoLogin,
    };

    private static readonly Dictionary<EndpointType, string> EndpointTypes = new()
    {
        [EndpointType.ReadWrite] = Wire.EndpointType.ReadWrite,
        [EndpointType.ReadOnly] = Wire.EndpointType.ReadOnly,
    };

    public static string? ToWire(IdentityType? value) => value is { } v ? Identities[v] : null;
    public static string? ToWire(AuthMethod? value) => value is { } v ? AuthMethods[v] : null;
    public static string ToWire(EndpointType value) => EndpointTypes[value];

    public static IdentityType? Identity(string? wire) => FromWire(Identities, wire);
    public static AuthMethod? Auth(string? wire) => FromWire(AuthMethods, wire);
    public static EndpointType? Endpoint(string? wire) => FromWire(EndpointTypes, wire);

    private static T? FromWire<T>(Dictionary<T, string> map, string? wire) where T : struct, Enum
    {
        foreach (var (value, text) in map) if (text == wire) return value;
        return null;
    }
}
