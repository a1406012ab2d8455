using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using Lakebase.Local.Proxy.Routing;

namespace Lakebase.Local.Proxy.Handshake;

/// <summary>What a client asked for in its startup phase: a session (its startup parameters and the TLS server name
/// it sent) or the cancellation of another session's query.</summary>
internal sealed record ClientStartup(Dictionary<string, string> Parameters, string? ServerName, (int Pid, int Key)? CancelKey);

/// <summary>
/// The handshake phase, as Neon's proxy has it: GSSENCRequest (always declined), SSLRequest and TLS, then the startup
/// packet or a CancelRequest. Sessions need TLS and protocol 3.0. Nothing here looks up, wakes or hashes anything
/// beyond choosing the certificate, and a certificate is made only for a name that routes to an endpoint.
/// </summary>
internal sealed class ClientHandshake(Stream stream, IPAddress localAddress, IControlPlaneApi controlPlane, LocalCertificateAuthority authority)
{
    /// <summary>The client's stream: the socket's, then the TLS stream once TLS is up. Its owner disposes it.</summary>
    public Stream Stream { get; private set; } = stream;

    public async Task<ClientStartup> RunAsync(CancellationToken cancellationToken)
    {
        string? serverName = null;
        var (code, body) = await PgWire.ReadStartupPacketAsync(Stream, cancellationToken).ConfigureAwait(false);
        if (code == PgWire.GssEncRequestCode)
        {
            await Stream.WriteAsync("N"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            (code, body) = await PgWire.ReadStartupPacketAsync(Stream, cancellationToken).ConfigureAwait(false);
        }
        if (code == PgWire.SslRequestCode)
        {
            await Stream.WriteAsync("S"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            var tls = new SslStream(Stream, leaveInnerStreamOpen: false);
            Stream = tls;
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateSelectionCallback = (_, hostName) =>
                {
                    serverName = string.IsNullOrEmpty(hostName) ? null : hostName;
                    return CertificateFor(serverName);
                },
            }, cancellationToken).ConfigureAwait(false);
            (code, body) = await PgWire.ReadStartupPacketAsync(Stream, cancellationToken).ConfigureAwait(false);
        }
        if (code == PgWire.CancelRequestCode)
        {
            if (body.Length != 8) throw new ClientRejectedException("08P01", "invalid cancel request");
            return new ClientStartup([], serverName, (BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4))));
        }
        if (code != PgWire.ProtocolVersion3)
            throw new ClientRejectedException("08P01", $"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0");
        if (Stream is not SslStream) throw new ClientRejectedException("28000", "Lakebase requires SSL: connect with sslmode=require");
        return new ClientStartup(PgWire.ParseParameters(body), serverName, null);
    }

    /// <summary>A certificate for the name the client sent where it names a live endpoint (or is the loopback name);
    /// otherwise the certificate of the address the client connected to.</summary>
    private System.Security.Cryptography.X509Certificates.X509Certificate2 CertificateFor(string? serverName)
    {
        // The loopback name is kept as one certificate: clients of the shared port may use it.
        const string loopback = LocalCertificateAuthority.LoopbackName;
        if (serverName is not null && string.Equals(serverName, loopback, StringComparison.OrdinalIgnoreCase))
            return authority.CertificateFor(loopback, loopback);
        if (EndpointRouter.EndpointInServerName(serverName) is { } endpointUid && controlPlane.Access(endpointUid) != EndpointAccess.NotFound)
            return authority.CertificateFor(endpointUid, serverName!);
        var address = localAddress.ToString();
        return authority.CertificateFor(address, address);
    }
}
