using System.Text.Json.Nodes;
using Lakebase.Contract.Models;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using NpgsqlTypes;

namespace Lakebase.Local.SyncedTables;

/// <summary>A Delta column as it lands in PostgreSQL (lakebase-semantics §3.7; ARRAY, MAP and STRUCT become jsonb).</summary>
internal sealed record PostgresColumn(string Name, string SqlType, NpgsqlDbType DbType)
{
    /// <summary>The column for a Delta field, with the synced table's type override for it when there is one.</summary>
    public static PostgresColumn For(DeltaField field, IEnumerable<SyncedTableTypeOverride>? overrides = null)
    {
        if (overrides?.FirstOrDefault(o => o.ColumnName == field.Name) is { } typeOverride) return Overridden(field, typeOverride);
        var (sql, db) = field.Type switch
        {
            DeltaArrayType or DeltaMapType or DeltaStructType => ("jsonb", NpgsqlDbType.Jsonb),
            DeltaPrimitiveType { IsDecimal: true } => ("numeric", NpgsqlDbType.Numeric),
            DeltaPrimitiveType p => p.Name switch
            {
                "long" => ("bigint", NpgsqlDbType.Bigint),
                "integer" => ("integer", NpgsqlDbType.Integer),
                "short" or "byte" => ("smallint", NpgsqlDbType.Smallint),
                "binary" => ("bytea", NpgsqlDbType.Bytea),
                "boolean" => ("boolean", NpgsqlDbType.Boolean),
                "date" => ("date", NpgsqlDbType.Date),
                "string" => ("text", NpgsqlDbType.Text),
                "double" => ("double precision", NpgsqlDbType.Double),
                "float" => ("real", NpgsqlDbType.Real),
                "timestamp" => ("timestamp with time zone", NpgsqlDbType.TimestampTz),
                "timestamp_ntz" => ("timestamp without time zone", NpgsqlDbType.Timestamp),
                _ => throw Unsupported(field),
            },
            _ => throw Unsupported(field),
        };
        return new PostgresColumn(field.Name, sql, db);
    }

    /// <summary>type_overrides (lakebase-semantics §3.7): a string column as varchar(size). vector and halfvec need the
    /// pgvector extension, which Lakebase Local's PostgreSQL builds do not include, so they are refused, not ignored.</summary>
    private static PostgresColumn Overridden(DeltaField field, SyncedTableTypeOverride typeOverride)
    {
        const long VarcharLimit = 10_485_760; // PostgreSQL's largest varchar length
        switch (typeOverride.PgType)
        {
            case "PG_SPECIFIC_TYPE_VARCHAR" when field.Type is not DeltaPrimitiveType { Name: "string" }:
                throw ApiException.InvalidParameter($"type_overrides: column '{field.Name}' has type {field.Type}; only a string column can become varchar.");
            case "PG_SPECIFIC_TYPE_VARCHAR" when typeOverride.Size is not (>= 1 and <= VarcharLimit):
                throw ApiException.InvalidParameter($"type_overrides: varchar for column '{field.Name}' needs a size from 1 to {VarcharLimit}, got {typeOverride.Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.");
            case "PG_SPECIFIC_TYPE_VARCHAR":
                return new PostgresColumn(field.Name, $"varchar({typeOverride.Size!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)})", NpgsqlDbType.Varchar);
            case "PG_SPECIFIC_TYPE_VECTOR" or "PG_SPECIFIC_TYPE_HALFVEC":
                throw ApiException.InvalidParameter($"type_overrides: {typeOverride.PgType} for column '{field.Name}' needs the pgvector extension, which Lakebase Local does not have.");
            default:
                throw ApiException.InvalidParameter($"type_overrides: pg_type must be PG_SPECIFIC_TYPE_VARCHAR, PG_SPECIFIC_TYPE_VECTOR or PG_SPECIFIC_TYPE_HALFVEC, got '{typeOverride.PgType}'.");
        }
    }

    private static ApiException Unsupported(DeltaField field) =>
        ApiException.InvalidParameter($"Column '{field.Name}' has type {field.Type}, which synced tables do not support.");

    /// <summary>The value as Npgsql writes it for this column: nested values as JSON text.</summary>
    public object? ToParameter(object? value) => value switch
    {
        JsonNode node => node.ToJsonString(),
        _ => value,
    };

    public string Quoted => PostgresAdmin.Quote(Name);
}
