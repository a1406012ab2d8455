namespace Lakebase.PowerShell.Binding;

/// <summary>A problem with the parameters themselves (a bad combination, a value out of range), the same for every
/// piped object: the cmdlet stops with one terminating error instead of writing one per object.</summary>
internal sealed class InvalidParametersException(string message, string? parameterName = null) : ArgumentException(message, parameterName);
