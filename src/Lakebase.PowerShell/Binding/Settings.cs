using System.Collections;
using System.Globalization;

namespace Lakebase.PowerShell.Binding;

/// <summary>pg_settings from a hashtable: keys and values as invariant strings.</summary>
internal static class Settings
{
    public static Dictionary<string, string> FromHashtable(Hashtable table) => table.Cast<DictionaryEntry>()
        .ToDictionary(entry => Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!, entry => Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? "");
}
