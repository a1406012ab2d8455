namespace Lakebase.Delta;

/// <summary>
/// The rows of one row group of a data file (deleted rows left out), column by column in schema order. Each column
/// holds its values in one typed array, so a consumer such as a COPY writer takes them without boxing each value.
/// </summary>
public sealed class ColumnBatch(int rowCount, IReadOnlyList<DeltaColumn> columns)
{
    public int RowCount { get; } = rowCount;
    public IReadOnlyList<DeltaColumn> Columns { get; } = columns;

    /// <summary>The batch one row at a time, each value boxed (for readers that want rows, not speed).</summary>
    public IEnumerable<object?[]> Rows()
    {
        for (var r = 0; r < RowCount; r++)
        {
            var row = new object?[Columns.Count];
            for (var c = 0; c < row.Length; c++) row[c] = Columns[c].GetValue(r);
            yield return row;
        }
    }
}

/// <summary>Gets a column's values as their own type: <see cref="DeltaColumn.Accept{TResult}"/> calls back with it.</summary>
public interface IDeltaColumnVisitor<out TResult>
{
    TResult Visit<T>(DeltaColumn<T> column);
}

/// <summary>
/// One column of a <see cref="ColumnBatch"/>. The value types follow the Delta type: long, int, short (byte too),
/// float, double, bool, decimal (with the column's scale), string, byte[], DateOnly, DateTime (UTC for timestamp,
/// unspecified for timestamp_ntz), and JsonNode for arrays, maps and structs.
/// </summary>
public abstract class DeltaColumn
{
    public abstract bool IsNull(int row);
    public abstract object? GetValue(int row);
    public abstract TResult Accept<TResult>(IDeltaColumnVisitor<TResult> visitor);

    /// <summary>The rows at <paramref name="rows"/> only, in that order (what a deletion vector leaves).</summary>
    internal abstract DeltaColumn Take(int[] rows);

    /// <summary>A column holding one value in every row (a partition column).</summary>
    internal static DeltaColumn Repeat(object? value, int rows) => value is null
        ? new DeltaColumn<object?>(new object?[rows], nulls: null)
        : (DeltaColumn)typeof(DeltaColumn).GetMethod(nameof(Filled), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(value.GetType()).Invoke(null, [value, rows])!;

    private static DeltaColumn<T> Filled<T>(T value, int rows)
    {
        var values = new T[rows];
        Array.Fill(values, value);
        return new DeltaColumn<T>(values, nulls: null);
    }
}

/// <param name="values">One value per row; a null row holds default(T).</param>
/// <param name="nulls">Which rows are NULL, or null when none is (or T is a reference type and null marks them).</param>
public sealed class DeltaColumn<T>(T[] values, bool[]? nulls) : DeltaColumn
{
    public T this[int row] => values[row];

    public override bool IsNull(int row) => (nulls is not null && nulls[row]) || values[row] is null;

    public override object? GetValue(int row) => IsNull(row) ? null : values[row];

    public override TResult Accept<TResult>(IDeltaColumnVisitor<TResult> visitor) => visitor.Visit(this);

    internal override DeltaColumn Take(int[] rows)
    {
        var taken = new T[rows.Length];
        var takenNulls = nulls is null ? null : new bool[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            taken[i] = values[rows[i]];
            if (takenNulls is not null) takenNulls[i] = nulls![rows[i]];
        }
        return new DeltaColumn<T>(taken, takenNulls);
    }
}
