using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Binding;

/// <summary>Friendly parameter values to the API's enum strings.</summary>
internal static class RoleEnums
{
    public static string? Identity(string? value) => value switch
    {
        null => null,
        "User" => IdentityType.User,
        "ServicePrincipal" => IdentityType.ServicePrincipal,
        _ => IdentityType.Group,
    };

    public static string? Auth(string? value) => value switch
    {
        null => null,
        "LakebaseOAuth" => AuthMethod.LakebaseOAuthV1,
        "Password" => AuthMethod.PgPasswordScramSha256,
        _ => AuthMethod.NoLogin,
    };
}
