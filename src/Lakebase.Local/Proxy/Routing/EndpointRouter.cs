using System.Net;
using System.Text.RegularExpressions;

namespace Lakebase.Local.Proxy.Routing;

/// <summary>
/// The routing and wake phase: which endpoint a connection is for (options=endpoint=&lt;uid&gt;, an SNI name whose
/// first label is the uid, or the endpoint's own loopback address), whether it goes through the endpoint's PgBouncer
/// (the pooled host's address, or the uid with Neon's "-pooler" suffix), that it is open (it, its branch and its
/// project live, and enabled), and its compute (and pooler) running. Openness is checked when routing and again right
/// before the wake, so a login that raced a delete or a disable still does not wake the compute.
/// </summary>
internal sealed partial class EndpointRouter(IControlPlaneApi controlPlane, IPAddress localAddress)
{
    /// <summary>The address every endpoint shares where each cannot have its own; routing there needs the endpoint id.</summary>
    private const string SharedAddress = "127.0.0.1";

    /// <summary>Endpoint ids as the control plane makes them (Neon's proxy allows only letters, digits and hyphens).</summary>
    [GeneratedRegex(@"\Aep-[a-z0-9-]{1,60}\z")]
    private static partial Regex EndpointId();

    /// <summary>A DNS name of letters, digits and hyphens (what a certificate can carry).</summary>
    [GeneratedRegex(@"\A(?=.{1,253}\z)[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\z")]
    private static partial Regex DnsName();

    /// <summary>The suffix that names an endpoint's pooled host by its id, as Neon's and Lakebase's pooler host names do.</summary>
    private const string PoolerSuffix = "-pooler";

    /// <summary>The endpoint uid an SNI name carries as its first label (without a "-pooler" suffix); null for a name
    /// that carries none.</summary>
    public static string? EndpointInServerName(string? serverName) => RouteInServerName(serverName)?.EndpointUid;

    /// <summary>The open endpoint the connection is for, and whether through its pooler; the endpoint= option is taken
    /// out of the parameters, the rest of options goes on.</summary>
    public EndpointRoute Route(Dictionary<string, string> parameters, string? serverName)
    {
        var option = TakeEndpointOption(parameters);
        var requested = option is null ? null : ParseRoute(option) ?? throw new ClientRejectedException("3D000", "malformed endpoint id in options");
        var named = RouteInServerName(serverName);
        if (requested is not null && named is not null && requested != named)
            throw new ClientRejectedException("08P01", $"the endpoint in options ({option}) is not the one in the server name ({serverName})");
        var host = localAddress.ToString();
        var route = requested ?? named ?? (host == SharedAddress ? null : controlPlane.EndpointAt(host))
            ?? throw new ClientRejectedException("3D000", "endpoint not specified: connect to the endpoint's host, or pass options=endpoint=<endpoint uid>");
        RequireOpen(route.EndpointUid);
        return route;
    }

    /// <summary>Refuses an endpoint that is gone (it, its branch or its project deleted), disabled, or on a branch still
    /// being made or being reset, with the errors a client of the service sees.</summary>
    public void RequireOpen(string endpointUid)
    {
        switch (controlPlane.Access(endpointUid))
        {
            case EndpointAccess.NotFound: throw new ClientRejectedException("3D000", $"endpoint {endpointUid} not found");
            case EndpointAccess.Disabled: throw new ClientRejectedException("08004", $"endpoint {endpointUid} is disabled");
            case EndpointAccess.NotReady: throw new ClientRejectedException("57P03", $"endpoint {endpointUid} is not ready yet: its branch is still being created");
            case EndpointAccess.Resetting: throw new ClientRejectedException("57P03", $"endpoint {endpointUid} is not ready: its branch is being reset from its parent");
        }
    }

    /// <summary>Wakes the endpoint's compute (and, for the pooled host, its PgBouncer, which closes clients idle for
    /// <paramref name="poolerClientIdleTimeout"/>), the endpoint still open, and returns the directory of the private
    /// socket the session goes to; a compute or pooler that cannot start is the client's error to see.</summary>
    public async Task<string> WakeAsync(EndpointRoute route, TimeSpan poolerClientIdleTimeout, CancellationToken cancellationToken)
    {
        RequireOpen(route.EndpointUid);
        try
        {
            return route.Pooled
                ? await controlPlane.WakePoolerAsync(route.EndpointUid, poolerClientIdleTimeout, cancellationToken).ConfigureAwait(false)
                : await controlPlane.WakeComputeAsync(route.EndpointUid, cancellationToken).ConfigureAwait(false);
        }
        catch (ComputeUnavailableException ex)
        {
            throw new ClientRejectedException("57P03", $"the endpoint's {(route.Pooled ? "pooler" : "compute")} could not start: {ex.Message}");
        }
    }

    private static EndpointRoute? RouteInServerName(string? serverName) =>
        serverName is not null && DnsName().IsMatch(serverName) ? ParseRoute(serverName.Split('.')[0]) : null;

    /// <summary>An endpoint uid, or one with the pooler suffix; null when it is not one.</summary>
    private static EndpointRoute? ParseRoute(string name)
    {
        var pooled = name.EndsWith(PoolerSuffix, StringComparison.Ordinal);
        var uid = pooled ? name[..^PoolerSuffix.Length] : name;
        return EndpointId().IsMatch(uid) ? new EndpointRoute(uid, pooled) : null;
    }

    /// <summary>"endpoint=&lt;uid&gt;", "-cendpoint=&lt;uid&gt;" or "-c endpoint=&lt;uid&gt;" in options.</summary>
    private static string? TakeEndpointOption(Dictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue("options", out var options)) return null;
        string? requested = null;
        var kept = new List<string>();
        var tokens = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var option = tokens[i] == "-c" && i + 1 < tokens.Length ? $"-c {tokens[++i]}" : tokens[i];
            var setting = option.StartsWith("-c", StringComparison.Ordinal) ? option[2..].TrimStart() : option;
            if (!setting.StartsWith("endpoint=", StringComparison.Ordinal)) kept.Add(option);
            else if (requested is not null) throw new ClientRejectedException("08P01", "options name the endpoint more than once");
            else requested = setting["endpoint=".Length..];
        }
        if (kept.Count > 0) parameters["options"] = string.Join(' ', kept);
        else parameters.Remove("options");
        return requested;
    }
}
