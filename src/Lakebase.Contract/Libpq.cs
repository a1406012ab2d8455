namespace Lakebase.Contract;

/// <summary>libpq connection strings (keyword=value pairs), as psql and PostgreSQL's own primary_conninfo read them.</summary>
public static class Libpq
{
    /// <summary>A keyword's value in single quotes, with backslash and quote escaped: any value, spaces and quotes
    /// included, stays one value.</summary>
    public static string Quote(string value) => "'" + value.Replace(@"\", @"\\").Replace("'", @"\'") + "'";
}
