using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Binding;

/// <summary>-TypeOverride @{ column = 'varchar(40)' } as the service's type_overrides: the PostgreSQL types it offers
/// instead of the default mapping, each with its size.</summary>
internal static partial class TypeOverrides
{
    public static List<SyncedTableTypeOverride> FromHashtable(Hashtable table) => table.Cast<DictionaryEntry>().Select(entry =>
    {
        var column = Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!;
        var type = Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? "";
        var match = SizedType().Match(type);
        if (!match.Success || !long.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            throw new InvalidParametersException($"-TypeOverride: the type of column '{column}' must be varchar(n), vector(n) or halfvec(n), not '{type}'.", "TypeOverride");
        return new SyncedTableTypeOverride
        {
            ColumnName = column,
            PgType = "PG_SPECIFIC_TYPE_" + match.Groups[1].Value.ToUpperInvariant(),
            Size = size,
        };
    }).ToList();

    [GeneratedRegex(@"\A\s*(varchar|vector|halfvec)\s*\(\s*(\d{1,9})\s*\)\s*\z", RegexOptions.IgnoreCase)]
    private static partial Regex SizedType();
}
