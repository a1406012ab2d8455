using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Lakebase.PowerShell.Loading;

/// <summary>
/// Loads the module's dependencies (Lakebase.Client, Npgsql, Polly, ...) from deps/ into a private
/// AssemblyLoadContext, so another module that ships a different Npgsql or Polly can live in the same session.
/// Only this assembly lives in PowerShell's default context.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly Assembly ModuleAssembly = typeof(DependencyLoadContext).Assembly;
    private static readonly string DependencyDirectory = Path.Combine(Path.GetDirectoryName(ModuleAssembly.Location)!, "deps");
    private static readonly DependencyLoadContext Instance = new();
    private static int s_registered;

    private DependencyLoadContext() : base("Lakebase", isCollectible: false) { }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(DependencyDirectory, assemblyName.Name + ".dll");
        // Anything not shipped in deps/ (the framework, System.Management.Automation) comes from the default context.
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <summary>Runs when this assembly loads, before PowerShell reflects over the cmdlets' parameter types; again on
    /// each Import-Module after a Remove-Module.</summary>
#pragma warning disable CA2255 // Deliberate: the hook must exist before any cmdlet type is inspected.
    [ModuleInitializer]
    internal static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0) AppDomain.CurrentDomain.AssemblyResolve += ResolveForModule;
    }
#pragma warning restore CA2255

    /// <summary>Runs on Remove-Module: the session's other assemblies no longer see the hook at all.</summary>
    internal static void Unregister()
    {
        if (Interlocked.Exchange(ref s_registered, 0) == 1) AppDomain.CurrentDomain.AssemblyResolve -= ResolveForModule;
    }

    /// <summary>Whatever the cmdlets need from deps/ (Lakebase.Client, and Npgsql for SQL) comes from the private
    /// context, so the cmdlets and the client share one copy of each type. Only this assembly's own requests are
    /// answered (AssemblyResolve names the requesting assembly; AssemblyLoadContext.Resolving does not): another
    /// module asking for its Npgsql never gets ours.</summary>
    private static Assembly? ResolveForModule(object? sender, ResolveEventArgs args) =>
        args.RequestingAssembly == ModuleAssembly && new AssemblyName(args.Name) is { Name: { } name }
            && File.Exists(Path.Combine(DependencyDirectory, name + ".dll"))
            ? Instance.LoadFromAssemblyName(new AssemblyName(args.Name))
            : null;
}

/// <summary>Import-Module and Remove-Module hooks: the resolver lives exactly as long as the module is imported.</summary>
public sealed class ModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => DependencyLoadContext.Register();

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyLoadContext.Unregister();
}
