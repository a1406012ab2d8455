using Lakebase.Local.Proxy.Routing;

namespace Lakebase.Local.Proxy.Authentication;

/// <summary>
/// The authentication phase: a cleartext password exchange over TLS (as Lakebase has it), whose password is a
/// database credential for this identity and endpoint, or, where the project enables native Postgres login, the
/// role's own password. What a credential is and whom it admits is the control plane's to say. A native password
/// needs the role's verifier, which only the compute holds: the compute is woken for it only once the endpoint is
/// known to be open and the client has sent a password, and the password is hashed only after that.
/// </summary>
internal sealed class ClientAuthentication(IControlPlaneApi controlPlane, EndpointRouter router)
{
    /// <summary>Far above any credential or password; a longer password message is a protocol violation.</summary>
    private const int MaxPasswordMessage = 64 * 1024;

    /// <summary>What the session may do once the client proved who it is: a credential may scope it; a native password never does.</summary>
    public async Task<CredentialAdmission> AuthenticateAsync(Stream stream, string endpointUid, string user, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(PgWire.CleartextPasswordRequest(), cancellationToken).ConfigureAwait(false);
        var (type, body) = await PgWire.ReadMessageAsync(stream, MaxPasswordMessage, cancellationToken).ConfigureAwait(false);
        if (type != (byte)'p') throw new ClientRejectedException("08P01", "expected a password message");
        var password = PgWire.ReadPassword(body);
        if (controlPlane.AdmitCredential(endpointUid, user, password) is { } admission) return admission;
        if (password.Length == 0 || !controlPlane.AllowsNativeLogin(endpointUid)) throw Failed(user);
        router.RequireOpen(endpointUid);
        string? verifier;
        try
        {
            verifier = await controlPlane.RoleVerifierAsync(endpointUid, user, cancellationToken).ConfigureAwait(false);
        }
        catch (ComputeUnavailableException ex)
        {
            throw new ClientRejectedException("57P03", $"the endpoint's compute cannot check passwords now: {ex.Message}");
        }
        if (!ScramVerifier.Matches(password, verifier)) throw Failed(user);
        return CredentialAdmission.Unrestricted;
    }

    private static ClientRejectedException Failed(string user) => new("28P01", $"password authentication failed for user \"{user}\"");
}
