using System.Text.Json.Nodes;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using NpgsqlTypes;

namespace Lakebase.Local.SyncedTables;

/// <summary>A Delta column as it lands in PostgreSQL (lakebase-semantics §3.7; ARRAY, MAP and STRUCT become jsonb).</summary>
internal sealed record PostgresColumn(string Name, string SqlType, NpgsqlDbType DbType)
{
    public static PostgresColumn For(DeltaField field)
    {
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
