using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Binding;

/// <summary>The branch expiration oneof from -Ttl, -ExpireTime or -NoExpiry (at most one may be given).</summary>
internal static class Expiration
{
    public static bool IsGiven(IDictionary<string, object> bound) =>
        bound.ContainsKey("Ttl") || bound.ContainsKey("ExpireTime") || bound.ContainsKey("NoExpiry");

    public static void Apply(BranchSpec spec, IDictionary<string, object> bound, TimeSpan ttl, DateTimeOffset expireTime)
    {
        var given = new[] { "Ttl", "ExpireTime", "NoExpiry" }.Count(bound.ContainsKey);
        if (given > 1) throw new InvalidParametersException("Use only one of -Ttl, -ExpireTime and -NoExpiry.");
        if (bound.ContainsKey("Ttl"))
        {
            if (ttl <= TimeSpan.Zero) throw new InvalidParametersException("-Ttl must be positive.", "Ttl");
            spec.Ttl = ttl;
        }
        else if (bound.ContainsKey("ExpireTime")) spec.ExpireTime = expireTime.ToUniversalTime();
        else spec.NoExpiry = true;
    }
}
