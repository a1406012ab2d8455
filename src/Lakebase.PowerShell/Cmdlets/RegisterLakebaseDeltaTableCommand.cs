using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Lakebase Local only: makes an existing Delta table directory a Unity Catalog table (catalog.schema.table)
/// that synced tables can use as their source. Nothing is copied: new commits written there are seen.</summary>
[Cmdlet(VerbsLifecycle.Register, "LakebaseDeltaTable", SupportsShouldProcess = true)]
[OutputType(typeof(Contract.Local.LocalDeltaTable))]
public sealed class RegisterLakebaseDeltaTableCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    /// <summary>The Delta table's directory (the one holding _delta_log).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = "";

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!Directory.Exists(System.IO.Path.Combine(path, "_delta_log")))
            throw new ArgumentException($"'{path}' is not a Delta table: it has no _delta_log directory.");
        if (!ShouldProcess(Name, $"Register Delta table {path}")) return;
        WriteObject(Await(cancellationToken => Client.RegisterLocalDeltaTableAsync(Name, path, cancellationToken)));
    }
}
