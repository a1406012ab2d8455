using System.Collections;
using System.Globalization;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Binding;

/// <summary>pg_settings and custom tags from a hashtable: keys and values as invariant strings.</summary>
internal static class Settings
{
    /// <summary>A project's custom_tags, in key order (a hashtable keeps none).</summary>
    public static List<ProjectCustomTag> Tags(Hashtable table) => FromHashtable(table).OrderBy(tag => tag.Key, StringComparer.Ordinal)
        .Select(tag => new ProjectCustomTag { Key = tag.Key, Value = tag.Value }).ToList();

    public static Dictionary<string, string> FromHashtable(Hashtable table) => table.Cast<DictionaryEntry>()
        .ToDictionary(entry => Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!, entry => Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? "");
}
