using System.Reflection;
using Lakebase.Contract.Local;
using Lakebase.Local.Api;
using Lakebase.Local.Auth;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Hosting;
using Lakebase.Local.Platform;
using Lakebase.Local.Proxy;
using Lakebase.Local.Proxy.Handshake;
using Lakebase.Local.State;
using Lakebase.Local.Storage;
using Lakebase.Local.SyncedTables;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

if (!LocalPlatform.IsSupported)
{
    Console.Error.WriteLine(LocalPlatform.NotSupportedMessage);
    return 1;
}
LocalServerOptions? options;
try
{
    options = LocalServerOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LocalServerOptions.Usage);
    return 2;
}
if (options is null)
{
    Console.WriteLine(LocalServerOptions.Usage);
    return 0;
}

var version = typeof(LocalServerOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
var layout = new StateLayout(options.StateRoot);
var account = await ServiceAccount.ResolveAsync(CancellationToken.None);
CredentialTokens credentialTokens;
try
{
    StateRootAccess.Secure(layout, account);
    credentialTokens = new CredentialTokens(layout.CredentialSigningKey);
}
catch (StateRootException ex)
{
    Console.Error.WriteLine($"Lakebase Local cannot start: {ex.Message}");
    return 1;
}
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(System.Net.IPAddress.Loopback, options.Port);
    RequestHardening.KestrelLimits(kestrel.Limits);
});
builder.Logging.AddSimpleConsole(console => console.SingleLine = true).AddFilter("Microsoft", LogLevel.Warning);
builder.Services.AddSingleton(layout);
builder.Services.AddSingleton(account);
builder.Services.AddSingleton(PostgresInstallation.Discover(options.PostgresRoot));
builder.Services.AddSingleton(options.Limits);
builder.Services.AddSingleton(options.Autoscaling);
builder.Services.AddSingleton(credentialTokens);
builder.Services.AddSingleton(new LocalCertificateAuthority(layout.TlsDirectory));
builder.Services.AddSingleton<IControlPlaneApi, ProxyControlPlane>();
builder.Services.AddSingleton(new ProxyOptions(options.ProxyPort, options.Sessions));
builder.Services.AddSingleton(sp => new CredentialApi(sp.GetRequiredService<Catalog>(), sp.GetRequiredService<CredentialTokens>(), sp.GetRequiredService<PermissionService>())
{
    MinimumTtl = options.MinimumCredentialTtl,
});
builder.Services.AddSingleton(new StateStore(layout.StateDatabase));
builder.Services.AddSingleton(new AdminIdentity(options.UserName));
builder.Services.AddSingleton(new SyncOptions(options.SyncInterval));
builder.Services.AddSingleton(new OverlayOptions(options.Overlays));
foreach (var service in new[]
{
    typeof(SegmentSwitches), typeof(DataDirectoryCopier), typeof(DataOverlays), typeof(BranchHistory), typeof(BranchStorage), typeof(ComputeManager), typeof(PointInTime), typeof(OperationRunner), typeof(Catalog), typeof(Provisioning), typeof(IdentityStore),
    typeof(PermissionService), typeof(ProjectService), typeof(BranchService), typeof(EndpointService), typeof(RoleService), typeof(DatabaseService), typeof(OperationLookup),
    typeof(BranchReset), typeof(RecoveryReport), typeof(RoleAndDatabaseReconciler), typeof(Recovery), typeof(ProxySessions), typeof(ProxyServer), typeof(Autoscaler),
    typeof(UnityCatalog), typeof(CatalogService), typeof(SyncedTableService), typeof(SyncScheduler),
})
{
    builder.Services.AddSingleton(service);
}
builder.Services.AddHostedService<OrderlyShutdown>();
builder.Services.AddHostedService<Housekeeping>();
builder.Services.AddHostedService<SnapshotScheduler>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ProxyServer>());
builder.Services.AddHostedService<SuspendMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Autoscaler>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<SyncScheduler>());

var app = builder.Build();
app.Services.GetRequiredService<BranchStorage>().Initialize();
await app.Services.GetRequiredService<Recovery>().RunAsync(CancellationToken.None);
app.Services.GetRequiredService<IdentityStore>().EnsureAdminToken(layout.AdminTokenFile, options.UserName);

app.UseApiErrors();
app.UseRequestHardening();
app.UseBearerAuthentication();
app.MapAuthApi(version);
app.MapPostgresApi();
app.MapPermissionsApi();
app.MapComputeApi();
app.MapRecoveryApi();
app.MapBranchResetApi();
app.MapSyncedTablesApi();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    var info = new LocalServerInfo
    {
        Pid = Environment.ProcessId,
        ApiUrl = address.Replace("[::1]", "127.0.0.1"),
        AdminTokenFile = layout.AdminTokenFile,
        UserName = options.UserName,
        StateRoot = layout.Root,
        Version = version,
        StartTime = DateTimeOffset.UtcNow,
        ProxyPort = app.Services.GetRequiredService<ProxyServer>().RouterPort,
        CaCertificateFile = app.Services.GetRequiredService<LocalCertificateAuthority>().CertificateFile,
        PostgresVersions = app.Services.GetRequiredService<PostgresInstallation>().All.Select(binaries => new LocalPostgresVersion
        {
            Major = binaries.Major,
            NewProjects = options.Limits.PgVersions.Contains(binaries.Major),
            Source = binaries.Source,
            BinDirectory = binaries.BinDirectory,
        }).ToList(),
        CopyMode = app.Services.GetRequiredService<BranchStorage>().CopyMode,
    };
    ServerInfoFile.Write(layout.Root, info);
    Console.WriteLine($"Lakebase Local {version} listening on {info.ApiUrl}");
    Console.WriteLine($"Postgres proxy: each endpoint's host on port 5432, and 127.0.0.1:{info.ProxyPort} with options=endpoint=<uid>; CA {info.CaCertificateFile}");
    Console.WriteLine($"Admin token (user {options.UserName}): {layout.AdminTokenFile}");
    foreach (var postgres in info.PostgresVersions)
        Console.WriteLine($"PostgreSQL {postgres.Major} ({(postgres.NewProjects ? "new and existing projects" : "existing projects only")}): {postgres.Source}, {postgres.BinDirectory}");
    if (info.PostgresVersions.Count == 0) Console.WriteLine("PostgreSQL: none installed; Start-LakebaseLocal installs it (or run .ci/bootstrap)");
    Console.WriteLine($"State in {layout.Root} (branches copied with {info.CopyMode})");
});
app.Lifetime.ApplicationStopping.Register(() => ServerInfoFile.Delete(layout.Root));

// On shutdown OrderlyShutdown ends running operations, then gives every postmaster a fast shutdown.
await app.RunAsync();
return 0;
