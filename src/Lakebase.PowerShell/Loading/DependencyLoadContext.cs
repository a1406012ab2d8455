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
    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location)!, "deps");

    private static readonly DependencyLoadContext Instance = new();

    private DependencyLoadContext() : base("Lakebase", isCollectible: false) { }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(DependencyDirectory, assemblyName.Name + ".dll");
        // Anything not shipped in deps/ (the framework, System.Management.Automation) comes from the default context.
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <summary>Runs when this assembly loads, before PowerShell reflects over the cmdlets' parameter types.</summary>
#pragma warning disable CA2255 // Deliberate: the hook must exist before any cmdlet type is inspected.
    [ModuleInitializer]
    internal static void Register() => Default.Resolving += ResolveFromDependencyDirectory;
#pragma warning restore CA2255

    /// <summary>Whatever the cmdlets need from deps/ (Lakebase.Client, and Npgsql for SQL) comes from the private
    /// context, so the cmdlets and the client share one copy of each type.</summary>
    private static Assembly? ResolveFromDependencyDirectory(AssemblyLoadContext context, AssemblyName assemblyName) =>
        assemblyName.Name is { } name && File.Exists(Path.Combine(DependencyDirectory, name + ".dll"))
            ? Instance.LoadFromAssemblyName(assemblyName)
            : null;
}
