namespace Lakebase.Delta;

/// <summary>A Delta table that cannot be read: a broken log, a missing file, or a feature this reader lacks.</summary>
public class DeltaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The table needs a reader feature (or protocol version) this reader does not implement; names it.</summary>
public sealed class DeltaUnsupportedFeatureException(string feature, string message) : DeltaException(message)
{
    public string Feature { get; } = feature;
}
