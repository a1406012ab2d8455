using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Proxy;

/// <summary>
/// The local CA behind the data plane's TLS: created once under {root}/tls (ca.pem for clients to trust, the key
/// owner-only), it signs a certificate per host the proxy is reached on (an endpoint's loopback address, or a name
/// sent by SNI), made on first use and kept in memory.
/// </summary>
internal sealed class LocalCertificateAuthority
{
    private readonly X509Certificate2 _ca;
    private readonly ConcurrentDictionary<string, X509Certificate2> _leaves = new(StringComparer.OrdinalIgnoreCase);

    public LocalCertificateAuthority(string directory)
    {
        CertificateFile = Path.Combine(directory, "ca.pem");
        var keyFile = Path.Combine(directory, "ca.key");
        if (!File.Exists(CertificateFile) || !File.Exists(keyFile)) Create(directory, keyFile);
        _ca = X509Certificate2.CreateFromPemFile(CertificateFile, keyFile);
    }

    /// <summary>PEM of the CA certificate: what a client trusts (sslrootcert) to verify the proxy.</summary>
    public string CertificateFile { get; }

    public X509Certificate2 CertificateFor(string host) => _leaves.GetOrAdd(host, Issue);

    private X509Certificate2 Issue(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
        else names.AddDnsName(host);
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
