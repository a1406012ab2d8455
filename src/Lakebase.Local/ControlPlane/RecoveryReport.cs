namespace Lakebase.Local.ControlPlane;

/// <summary>What the last start found out of step between the metadata, PostgreSQL and the data on disk, and what it
/// did about each: logged as it happens, and served at /api/2.0/lakebase-local/recovery.</summary>
internal sealed class RecoveryReport(ILogger<RecoveryReport> logger)
{
    private readonly List<string> _repairs = [];

    public IReadOnlyList<string> Repairs
    {
        get { lock (_repairs) return _repairs.ToList(); }
    }

    public void Add(string repair)
    {
        logger.LogWarning("Recovery: {Repair}", repair);
        lock (_repairs) _repairs.Add(repair);
    }
}
