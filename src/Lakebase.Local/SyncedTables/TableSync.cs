using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Lakebase.Contract.Models;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.SyncedTables;

/// <summary>Where a synced table lands: PG schema and table (the UC schema and table names) and its keys.</summary>
internal sealed record SyncTarget(string SyncedTableName, string Schema, string Table, IReadOnlyList<string> PrimaryKey, string? TimeseriesKey,
    IReadOnlyList<SyncedTableTypeOverride> TypeOverrides)
{
    public string Qualified => $"{PostgresAdmin.Quote(Schema)}.{PostgresAdmin.Quote(Table)}";

    /// <summary>The PostgreSQL columns of the source's schema, with the synced table's type overrides.</summary>
    public List<PostgresColumn> Columns(DeltaStructType schema) => schema.Fields.Select(f => PostgresColumn.For(f, TypeOverrides)).ToList();
}

/// <summary>Progress of one sync, as ongoing_sync_progress reports it.</summary>
internal readonly record struct SyncProgress(long SyncedRows, long? TotalRows);

/// <summary>
/// The PostgreSQL side of a sync. The synced Delta version is recorded in the database itself
/// (<c>lakebase_sync.synced_versions</c>), in the same transaction as the data, so a sync cut off at any point
/// leaves the last good data and the version it came from, and resumes from there.
/// </summary>
internal static class TableSync
{
    private const string StateSchema = "lakebase_sync";
    /// <summary>Set (transaction-local) by the sync: without it the write guard refuses DML on synced tables.</summary>
    private const string WriterSetting = "lakebase.synced_table_writer";

    public static async Task EnsureStateAsync(NpgsqlConnection connection, string schema, CancellationToken cancel)
    {
        await ExecuteAsync(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {StateSchema};
            REVOKE ALL ON SCHEMA {StateSchema} FROM PUBLIC;
            CREATE TABLE IF NOT EXISTS {StateSchema}.synced_versions (
                synced_table text PRIMARY KEY, delta_version bigint NOT NULL, delta_commit_time timestamptz NOT NULL);
            CREATE OR REPLACE FUNCTION {StateSchema}.refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('{WriterSetting}', true) IS DISTINCT FROM 'on' THEN
                    RAISE EXCEPTION 'synced table %.% is read-only: it accepts only SELECT, CREATE INDEX and DROP TABLE', TG_TABLE_SCHEMA, TG_TABLE_NAME
                        USING ERRCODE = '42501';
                END IF;
                RETURN NULL;
            END $$;
            CREATE SCHEMA IF NOT EXISTS {PostgresAdmin.Quote(schema)};
            """, cancel);
    }

    public static async Task<long?> SyncedVersionAsync(NpgsqlConnection connection, string syncedTableName, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand($"SELECT delta_version FROM {StateSchema}.synced_versions WHERE synced_table = $1", connection);
        command.Parameters.AddWithValue(syncedTableName);
        return await command.ExecuteScalarAsync(cancel) is long version ? version : null;
    }

    /// <summary>
    /// Loads the snapshot with binary COPY into a staging table, then swaps it in with the version in one transaction.
    /// The primary key is built after the load, as the service does (its INDEX_SCAN and INDEX_SORT phases): one sort
    /// instead of a B-tree insert per row; a duplicate key fails the sync either way.
    /// </summary>
    public static async Task SnapshotAsync(NpgsqlConnection connection, DeltaTable source, DeltaSnapshot snapshot, SyncTarget target,
        Action<SyncProgress> progress, CancellationToken cancel)
    {
        var columns = target.Columns(snapshot.Metadata.Schema);
        var keyIndexes = KeyIndexes(snapshot.Metadata.Schema, target.PrimaryKey);
        long? total = snapshot.Files.All(f => f.NumRecords is not null)
            ? snapshot.Files.Sum(f => f.NumRecords!.Value - (f.DeletionVector?.Cardinality ?? 0))
            : null;
        var staging = StagingName(target.Table);
        var qualifiedStaging = $"{PostgresAdmin.Quote(target.Schema)}.{PostgresAdmin.Quote(staging)}";
        await ExecuteAsync(connection, $"""
            DROP TABLE IF EXISTS {qualifiedStaging};
            CREATE TABLE {qualifiedStaging} ({string.Join(", ", columns.Select(c => $"{c.Quoted} {c.SqlType}"))});
            """, cancel);
        long rows = 0;
        await using (var importer = await connection.BeginBinaryImportAsync(
            $"COPY {qualifiedStaging} ({string.Join(", ", columns.Select(c => c.Quoted))}) FROM STDIN (FORMAT BINARY)", cancel))
        {
            await foreach (var batch in ReadAheadAsync(source.ReadBatchesAsync(snapshot, cancel), cancel))
            {
                var writers = columns.Select((column, c) => batch.Columns[c].Accept(new CopyColumnFactory(column))).ToArray();
                var keys = keyIndexes.Select(k => batch.Columns[k]).ToArray();
                for (var r = 0; r < batch.RowCount; r++)
                {
                    if (HasNullKey(keys, r)) continue; // rows with a NULL key are skipped, as the service does
                    await importer.StartRowAsync(cancel);
                    foreach (var writer in writers) await writer.WriteAsync(importer, r, cancel);
                    if (++rows % 10_000 == 0) progress(new SyncProgress(rows, total));
                }
            }
            await importer.CompleteAsync(cancel);
        }
        progress(new SyncProgress(rows, total));
        await ExecuteAsync(connection, $"ALTER TABLE {qualifiedStaging} ADD PRIMARY KEY ({string.Join(", ", target.PrimaryKey.Select(PostgresAdmin.Quote))})", cancel);
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        await ExecuteAsync(connection, $"""
            DROP TABLE IF EXISTS {target.Qualified};
            ALTER TABLE {qualifiedStaging} RENAME TO {PostgresAdmin.Quote(target.Table)};
            ALTER TABLE {target.Qualified} OWNER TO {BranchStorage.SuperuserRole};
            CREATE TRIGGER synced_table_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {target.Qualified}
                FOR EACH STATEMENT EXECUTE FUNCTION {StateSchema}.refuse_writes();
            """, cancel);
        await RecordVersionAsync(connection, target, snapshot.Version, snapshot.Timestamp, cancel);
        await transaction.CommitAsync(cancel);
    }

    private static bool HasNullKey(DeltaColumn[] keys, int row)
    {
        foreach (var key in keys)
            if (key.IsNull(row)) return true;
        return false;
    }

    /// <summary>Writes one column of a batch into a binary COPY, a row's value at a time, typed (no boxing per value).</summary>
    private abstract class CopyColumn
    {
        public abstract Task WriteAsync(NpgsqlBinaryImporter importer, int row, CancellationToken cancel);
    }

    private sealed class CopyColumn<T>(DeltaColumn<T> values, NpgsqlTypes.NpgsqlDbType type) : CopyColumn
    {
        public override Task WriteAsync(NpgsqlBinaryImporter importer, int row, CancellationToken cancel) =>
            values.IsNull(row) ? importer.WriteNullAsync(cancel) : importer.WriteAsync(values[row], type, cancel);
    }

    /// <summary>Nested values (arrays, maps, structs) go in as their JSON text.</summary>
    private sealed class CopyJsonColumn(DeltaColumn<JsonNode?> values, NpgsqlTypes.NpgsqlDbType type) : CopyColumn
    {
        public override Task WriteAsync(NpgsqlBinaryImporter importer, int row, CancellationToken cancel) =>
            values[row] is { } node ? importer.WriteAsync(node.ToJsonString(), type, cancel) : importer.WriteNullAsync(cancel);
    }

    private sealed class CopyColumnFactory(PostgresColumn column) : IDeltaColumnVisitor<CopyColumn>
    {
        public CopyColumn Visit<T>(DeltaColumn<T> values) => values is DeltaColumn<JsonNode?> json
            ? new CopyJsonColumn(json, column.DbType)
            : new CopyColumn<T>(values, column.DbType);
    }

    /// <summary>
    /// Applies the Change Data Feed of versions <paramref name="from"/>..<paramref name="to"/>: the net change per
    /// primary key (deletes, then inserts and post-images, in commit order) as deletes and upserts in one transaction.
    /// With a timeseries key an upsert replaces a row only when it is not older.
    /// </summary>
    public static async Task ApplyChangesAsync(NpgsqlConnection connection, DeltaTable source, long from, long to, DateTimeOffset commitTime,
        SyncTarget target, Action<SyncProgress> progress, CancellationToken cancel)
    {
        var snapshot = await source.OpenSnapshotAsync(to, cancel);
        var schema = snapshot.Metadata.Schema;
        var columns = target.Columns(schema);
        var keyIndexes = KeyIndexes(schema, target.PrimaryKey);
        var net = new Dictionary<string, (object?[] Row, bool Deleted)>(StringComparer.Ordinal);
        var changes = new List<DeltaChange>();
        await foreach (var change in source.ReadChangesAsync(from, to, cancel)) changes.Add(change);
        foreach (var change in changes.OrderBy(c => c.Version).ThenBy(c => c.Type == ChangeType.Delete ? 0 : 1))
        {
            if (change.Type == ChangeType.UpdatePreimage || keyIndexes.Any(k => change.Values[k] is null)) continue;
            var key = string.Join("\u0001", keyIndexes.Select(k => Convert.ToString(change.Values[k], CultureInfo.InvariantCulture)));
            net[key] = (change.Values[..columns.Count], change.Type == ChangeType.Delete);
        }
        var keyMatch = string.Join(" AND ", keyIndexes.Select((k, i) => $"{columns[k].Quoted} = ${i + 1}"));
        var upsert = $"INSERT INTO {target.Qualified} ({string.Join(", ", columns.Select(c => c.Quoted))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => $"${i + 1}"))}) " +
            $"ON CONFLICT ({string.Join(", ", target.PrimaryKey.Select(PostgresAdmin.Quote))}) DO UPDATE SET " +
            string.Join(", ", columns.Select(c => $"{c.Quoted} = excluded.{c.Quoted}")) +
            (target.TimeseriesKey is { } ts ? $" WHERE {target.Qualified}.{PostgresAdmin.Quote(ts)} IS NULL OR excluded.{PostgresAdmin.Quote(ts)} >= {target.Qualified}.{PostgresAdmin.Quote(ts)}" : "");
        await using var transaction = await connection.BeginTransactionAsync(cancel);
        await ExecuteAsync(connection, $"SET LOCAL {WriterSetting} = 'on'", cancel);
        long done = 0;
        foreach (var (row, deleted) in net.Values)
        {
            await using var command = new NpgsqlCommand(deleted ? $"DELETE FROM {target.Qualified} WHERE {keyMatch}" : upsert, connection, transaction);
            if (deleted)
                foreach (var k in keyIndexes)
                    command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = columns[k].DbType, Value = columns[k].ToParameter(row[k])! });
            else
                for (var c = 0; c < columns.Count; c++)
                    command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = columns[c].DbType, Value = columns[c].ToParameter(row[c]) ?? DBNull.Value });
            await command.ExecuteNonQueryAsync(cancel);
            if (++done % 1_000 == 0) progress(new SyncProgress(done, net.Count));
        }
        progress(new SyncProgress(done, net.Count));
        await RecordVersionAsync(connection, target, to, commitTime, cancel);
        await transaction.CommitAsync(cancel);
    }

    /// <summary>The sync's write guard off: the table becomes a plain table the user owns (after delete of the synced table).</summary>
    public static async Task ReleaseAsync(NpgsqlConnection connection, SyncTarget target, CancellationToken cancel)
    {
        await ExecuteAsync(connection, $"""
            DROP TRIGGER IF EXISTS synced_table_read_only ON {target.Qualified};
            DROP TABLE IF EXISTS {PostgresAdmin.Quote(target.Schema)}.{PostgresAdmin.Quote(StagingName(target.Table))};
            """, cancel);
        await using var command = new NpgsqlCommand($"DELETE FROM {StateSchema}.synced_versions WHERE synced_table = $1", connection);
        command.Parameters.AddWithValue(target.SyncedTableName);
        await command.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>
    /// Decodes the next row groups on another thread while the caller writes the current one, so Parquet decoding and
    /// the COPY stream overlap instead of taking turns.
    /// </summary>
    private static async IAsyncEnumerable<T> ReadAheadAsync<T>(IAsyncEnumerable<T> items,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        var ahead = Channel.CreateBounded<T>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in items.WithCancellation(stop.Token))
                    await ahead.Writer.WriteAsync(item, stop.Token);
                ahead.Writer.Complete();
            }
            catch (Exception ex)
            {
                ahead.Writer.Complete(ex);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var item in ahead.Reader.ReadAllAsync(cancel))
                yield return item;
        }
        finally
        {
            // The writer stopped early (an error or a cancel): the reader must not wait on a full channel forever.
            await stop.CancelAsync();
            await reading;
        }
    }

    public static int[] KeyIndexes(DeltaStructType schema, IReadOnlyList<string> keys) =>
        keys.Select(k => schema.Fields.ToList().FindIndex(f => f.Name == k)).ToArray();

    private static string StagingName(string table) => ("lakebase_sync_" + table)[..Math.Min(63, 14 + table.Length)];

    private static async Task RecordVersionAsync(NpgsqlConnection connection, SyncTarget target, long version, DateTimeOffset commitTime, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {StateSchema}.synced_versions (synced_table, delta_version, delta_commit_time) VALUES ($1, $2, $3)
            ON CONFLICT (synced_table) DO UPDATE SET delta_version = excluded.delta_version, delta_commit_time = excluded.delta_commit_time
            """, connection);
        command.Parameters.AddWithValue(target.SyncedTableName);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(commitTime.UtcDateTime);
        await command.ExecuteNonQueryAsync(cancel);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancel);
    }
}
