using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Lakebase.PowerShell.Binding;

/// <summary>
/// Lets duration parameters take 7d, 12h, 30m, 90s, a number of seconds, or a TimeSpan. PowerShell itself reads the
/// bare literal 7d as the decimal 7 (d is its decimal suffix) and 90s as the short 90, so a decimal counts days and
/// other numbers count seconds; quoted text ("7d") works the same way.
/// </summary>
public sealed partial class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case TimeSpan span: return span;
            case decimal days: return TimeSpan.FromDays((double)days);
            case byte or sbyte or short or ushort or int or uint or long or double or float:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string text:
                var match = Shorthand().Match(text.Trim());
                if (match.Success)
                {
                    var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                    return match.Groups[2].Value switch
                    {
                        "d" => TimeSpan.FromDays(amount),
                        "h" => TimeSpan.FromHours(amount),
                        "m" => TimeSpan.FromMinutes(amount),
                        _ => TimeSpan.FromSeconds(amount),
                    };
                }
                if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed)) return parsed;
                break;
        }
        throw new ArgumentTransformationMetadataException($"'{inputData}' is not a duration; use a TimeSpan or a value such as 7d, 12h, 30m or 90s.");
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([dhms])$")]
    private static partial Regex Shorthand();
}
