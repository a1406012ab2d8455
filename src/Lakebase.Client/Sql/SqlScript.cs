using System.Collections;
using System.Data;
using Npgsql;

namespace Lakebase.Client.Sql;

/// <summary>What a script's results come back as.</summary>
public enum QueryResultShape { Row, Hashtable, DataTable, Scalar, NonQuery }

/// <summary>
/// Runs SQL on an open connection and hands its results over as they arrive: rows in batches (so a slow consumer
/// holds a few batches in memory, not the whole result), one DataTable per result set, or a single value. Parameters
/// are sent as parameters, never pasted into the text; with <see cref="InTransaction"/> all of it happens or none.
/// </summary>
public sealed class SqlScript(string text)
{
    private const int Batch = 512;

    public string Text { get; } = text;
    public IReadOnlyDictionary<string, object?> Parameters { get; init; } = new Dictionary<string, object?>();
    public bool InTransaction { get; init; }
    /// <summary>The statement timeout; zero or null for none.</summary>
    public TimeSpan? Timeout { get; init; }
    public QueryResultShape Shape { get; init; } = QueryResultShape.Row;
    /// <summary>json and jsonb as objects instead of their text.</summary>
    public JsonParser? Json { get; init; }

    /// <summary>Runs the script; <paramref name="write"/> receives each batch of results in order and is awaited, so
    /// it may wait for its consumer.</summary>
    public async Task RunAsync(NpgsqlConnection connection, Func<IReadOnlyList<object?>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var transaction = InTransaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        await using var command = new NpgsqlCommand(Text, connection, transaction) { CommandTimeout = TimeoutSeconds() };
        foreach (var (name, value) in Parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await ExecuteAsync(command, write, cancellationToken).ConfigureAwait(false);
        if (transaction is not null) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private int TimeoutSeconds() => Timeout is { } timeout && timeout > TimeSpan.Zero
        ? (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalSeconds))
        : 0;

    private async Task ExecuteAsync(NpgsqlCommand command, Func<IReadOnlyList<object?>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        switch (Shape)
        {
            case QueryResultShape.NonQuery:
                await write([await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false)], cancellationToken).ConfigureAwait(false);
                return;
            case QueryResultShape.Scalar:
                var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                await write([value is DBNull ? null : value], cancellationToken).ConfigureAwait(false);
                return;
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var more = true;
        while (more)
        {
            if (reader.FieldCount == 0)
            {
                more = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (Shape == QueryResultShape.DataTable)
            {
                var table = new DataTable();
                // Load reads this result to its end and moves the reader on to the next one itself (or closes it).
                table.Load(reader);
                await write([table], cancellationToken).ConfigureAwait(false);
                more = !reader.IsClosed;
                continue;
            }
            await ReadRowsAsync(reader, write, cancellationToken).ConfigureAwait(false);
            more = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadRowsAsync(NpgsqlDataReader reader, Func<IReadOnlyList<object?>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var rows = RowReader.For(reader, Json);
        var batch = new List<object?>(Batch);
        while (true)
        {
            var reading = reader.ReadAsync(cancellationToken);
            // The next row has to come from the network: hand over the rows that came so far rather than hold them
            // (and end both before the reader is touched again, even when one fails).
            if (!reading.IsCompleted && batch.Count > 0)
            {
                var writing = write(batch, cancellationToken);
                await Task.WhenAll(reading, writing).ConfigureAwait(false);
                batch = new List<object?>(Batch);
            }
            if (!await reading.ConfigureAwait(false)) break;
            batch.Add(Shape == QueryResultShape.Hashtable ? ToHashtable(reader, rows) : rows.Read(reader));
            if (batch.Count == Batch)
            {
                await write(batch, cancellationToken).ConfigureAwait(false);
                batch = new List<object?>(Batch);
            }
        }
        if (batch.Count > 0) await write(batch, cancellationToken).ConfigureAwait(false);
    }

    private static Hashtable ToHashtable(NpgsqlDataReader reader, RowReader rows)
    {
        var row = new Hashtable(rows.Columns.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rows.Columns.Count; i++) row[rows.Columns[i].Name] = rows.ReadValue(reader, i);
        return row;
    }
}
