using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Proxy.Handshake;

/// <summary>
/// The local CA behind the data plane's TLS: created once under {root}/tls (ca.pem for clients to trust, the key
/// owner-only), it signs a certificate per name the proxy is reached by (an endpoint's loopback address, or a name
/// sent by SNI that routes to an endpoint), made on first use and kept in memory. Certificates are kept per slot
/// (an address, or an endpoint), one each, so what clients send cannot grow the cache.
/// </summary>
internal sealed class LocalCertificateAuthority
{
    /// <summary>The conventional loopback name: every certificate names it besides the host it was made for.</summary>
    public const string LoopbackName = "localhost";

    private readonly X509Certificate2 _ca;
    private readonly ConcurrentDictionary<string, (string Name, X509Certificate2 Certificate)> _leaves = new(StringComparer.OrdinalIgnoreCase);

    public LocalCertificateAuthority(string directory)
    {
        CertificateFile = Path.Combine(directory, "ca.pem");
        var keyFile = Path.Combine(directory, "ca.key");
        if (!File.Exists(CertificateFile) || !File.Exists(keyFile)) Create(directory, keyFile);
        _ca = X509Certificate2.CreateFromPemFile(CertificateFile, keyFile);
    }

    /// <summary>PEM of the CA certificate: what a client trusts (sslrootcert) to verify the proxy.</summary>
    public string CertificateFile { get; }

    /// <summary>The certificate for <paramref name="name"/>, kept as <paramref name="slot"/>'s one certificate: a
    /// different name for the same slot replaces it.</summary>
    public X509Certificate2 CertificateFor(string slot, string name)
    {
        if (_leaves.TryGetValue(slot, out var leaf) && string.Equals(leaf.Name, name, StringComparison.OrdinalIgnoreCase)) return leaf.Certificate;
        leaf = (name, Issue(name));
        _leaves[slot] = leaf;
        return leaf.Certificate;
    }

    private X509Certificate2 Issue(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(host);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        // The name connected to (an address or a DNS name), and localhost: node-postgres sends no SNI for an address and
        // then checks the certificate against "localhost", so a certificate without it fails there even when trusted.
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
        else names.AddDnsName(host);
        if (!string.Equals(host, LoopbackName, StringComparison.OrdinalIgnoreCase)) names.AddDnsName(LoopbackName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), serial);
        // A leaf with its private key, exported and re-imported so SslStream can use it on every platform.
        return X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private static void Create(string directory, string keyFile)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Lakebase Local CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        OwnerOnlyFile.Write(keyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(Path.Combine(directory, "ca.pem"), ca.ExportCertificatePem());
    }
}
