using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Binding;

/// <summary>
/// The compute settings -MinCu, -MaxCu, -SuspendTimeout and -NoSuspension as given (null: not given), checked, and
/// what they mean for an endpoint's spec or a project's default endpoint settings. New-/Set-LakebaseEndpoint and
/// New-/Set-LakebaseProject each declare the four parameters themselves: the project and endpoint cmdlets share no
/// base class they could come from, and declaring them as dynamic parameters would change how Get-Command, help
/// and proxy commands see them. What the parameters do is here, once.
/// </summary>
internal sealed class ComputeParameters
{
    /// <summary>For New-*, whose compute parameters are nullable: null is "not given".</summary>
    public ComputeParameters(double? minCu, double? maxCu, TimeSpan? suspendTimeout, bool noSuspension)
    {
        // Only the checks that are certain wherever the settings are given: CU ranges and suspend bounds differ
        // between regions and docs, so those are left to the server.
        if (minCu > maxCu) throw new InvalidParametersException($"-MinCu ({minCu}) must not exceed -MaxCu ({maxCu}).");
        if (suspendTimeout is not null && noSuspension) throw new InvalidParametersException("Use either -SuspendTimeout or -NoSuspension, not both.");
        MinCu = minCu;
        MaxCu = maxCu;
        SuspendTimeout = suspendTimeout;
        NoSuspension = noSuspension;
    }

    /// <summary>For Set-*, whose compute parameters are plain values: a value is given when PowerShell bound it.</summary>
    public static ComputeParameters FromBound(IDictionary<string, object> bound, double minCu, double maxCu, TimeSpan suspendTimeout, bool noSuspension) => new(
        bound.ContainsKey(nameof(MinCu)) ? minCu : null,
        bound.ContainsKey(nameof(MaxCu)) ? maxCu : null,
        bound.ContainsKey(nameof(SuspendTimeout)) ? suspendTimeout : null,
        noSuspension);

    public double? MinCu { get; }
    public double? MaxCu { get; }
    public TimeSpan? SuspendTimeout { get; }
    public bool NoSuspension { get; }

    public bool IsEmpty => MinCu is null && MaxCu is null && SuspendTimeout is null && !NoSuspension;

    /// <summary>The update-mask paths of what was given, below <paramref name="prefix"/> ("spec." for an endpoint,
    /// "spec.default_endpoint_settings." for a project); the suspension oneof is masked by its group name.</summary>
    public IEnumerable<string> MaskPaths(string prefix)
    {
        if (MinCu is not null) yield return prefix + "autoscaling_limit_min_cu";
        if (MaxCu is not null) yield return prefix + "autoscaling_limit_max_cu";
        if (SuspendTimeout is not null || NoSuspension) yield return prefix + "suspension";
    }

    public void ApplyTo(EndpointSpec spec)
    {
        spec.AutoscalingLimitMinCu = MinCu;
        spec.AutoscalingLimitMaxCu = MaxCu;
        spec.SuspendTimeoutDuration = SuspendTimeout;
        spec.NoSuspension = NoSuspension ? true : null;
    }

    /// <summary>A project's default endpoint settings; null when nothing was given.</summary>
    public ProjectDefaultEndpointSettings? ToProjectDefaults() => IsEmpty ? null : new ProjectDefaultEndpointSettings
    {
        AutoscalingLimitMinCu = MinCu,
        AutoscalingLimitMaxCu = MaxCu,
        SuspendTimeoutDuration = SuspendTimeout,
        NoSuspension = NoSuspension ? true : null,
    };
}
