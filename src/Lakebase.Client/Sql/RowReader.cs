using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Npgsql.PostgresTypes;

namespace Lakebase.Client.Sql;

/// <summary>One column of a result as a row property: its name (made unique) and CLR type (nullable, since any
/// column may hold NULL).</summary>
public sealed record RowColumn(string Name, Type Type)
{
    /// <summary>A json or jsonb column read through a <see cref="JsonParser"/>.</summary>
    internal bool ParsedJson { get; init; }
}

/// <summary>Makes a value of json text, for readers that parse json and jsonb columns.</summary>
public delegate object? JsonParser(string json);

/// <summary>
/// Reads the rows of one result shape as instances of a CLR class made for that shape: public properties in column
/// order, named after the columns and typed after them, filled by a compiled delegate with typed getters. A class
/// is a fraction of the cost of a property bag per row, both to fill and for PowerShell to adapt (it caches
/// members per type). Classes (Lakebase.Rows.Row_3fa1c2d4e5b6) are made once per shape (names and types) and kept
/// for the process's life.
/// </summary>
public sealed class RowReader
{
    private static readonly ModuleBuilder Rows = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Lakebase.Rows"), AssemblyBuilderAccess.Run)
        .DefineDynamicModule("Lakebase.Rows");
    private static readonly Dictionary<(string Shape, JsonParser? Json), RowReader> Readers = [];
    private static readonly Dictionary<string, Type> Shapes = [];
    /// <summary>Names given so far (under the lock of <see cref="Readers"/>): a hash prefix could repeat.</summary>
    private static readonly HashSet<string> TypeNames = [];
    private static readonly MethodInfo IsDBNull = typeof(NpgsqlDataReader).GetMethod(nameof(NpgsqlDataReader.IsDBNull), [typeof(int)])!;
    private static readonly MethodInfo GetValue = typeof(NpgsqlDataReader).GetMethod(nameof(NpgsqlDataReader.GetValue), [typeof(int)])!;
    private static readonly MethodInfo GetFieldValue = typeof(NpgsqlDataReader).GetMethod(nameof(NpgsqlDataReader.GetFieldValue), [typeof(int)])!;

    /// <summary>The array mode connections reading rows need: elements of value types nullable (int?[]), since any
    /// Postgres array may hold NULLs (Npgsql's default fails on them, and its per-value mode on timestamp arrays).</summary>
    public const ArrayNullabilityMode ArrayNullability = ArrayNullabilityMode.Always;

    private readonly Func<NpgsqlDataReader, object> _read;
    private readonly Lazy<Func<NpgsqlDataReader, object?>[]> _values;

    private RowReader(IReadOnlyList<RowColumn> columns, Func<NpgsqlDataReader, object> read, Lazy<Func<NpgsqlDataReader, object?>[]> values)
    {
        Columns = columns;
        _read = read;
        _values = values;
    }

    public IReadOnlyList<RowColumn> Columns { get; }

    /// <summary>The reader for the current result of <paramref name="reader"/>. With <paramref name="json"/>, json
    /// and jsonb columns are <see cref="object"/> properties holding what it makes of the text, instead of the text.</summary>
    public static RowReader For(NpgsqlDataReader reader, JsonParser? json = null)
    {
        var columns = ColumnsOf(reader, json is not null);
        var key = string.Join('\n', columns.Select(c => c.Name + '\t' + c.Type.AssemblyQualifiedName));
        // Once per result set, not per row: a lock is cheap here, and makes one class per shape.
        lock (Readers)
        {
            if (!Shapes.TryGetValue(key, out var type)) Shapes[key] = type = DefineType(columns, key);
            if (!Readers.TryGetValue((key, json), out var shape)) Readers[(key, json)] = shape = Create(type, columns, json);
            return shape;
        }
    }

    /// <summary>The current row as a new instance of the shape's class.</summary>
    public object Read(NpgsqlDataReader reader) => _read(reader);

    /// <summary>The current row's value of one column, typed as the row property is (null for NULL).</summary>
    public object? ReadValue(NpgsqlDataReader reader, int ordinal) => _values.Value[ordinal](reader);

    /// <summary>The .NET type each column is read as: Npgsql's, with timestamptz as DateTimeOffset (an instant, kept
    /// in UTC rather than turned into local time) and value types nullable. Arrays are <see cref="Array"/>, as a
    /// Postgres array may have several dimensions (int?[], or int?[,]), except timestamptz[] (DateTimeOffset?[]).</summary>
    private static RowColumn[] ColumnsOf(NpgsqlDataReader reader, bool parseJson)
    {
        var columns = new RowColumn[reader.FieldCount];
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Length; i++)
        {
            var column = reader.GetName(i);
            // PowerShell finds properties by name, ignoring case: a repeated name gets a suffix.
            var name = column;
            for (var n = 2; !names.Add(name); n++) name = $"{column}_{n}";
            var postgresType = reader.GetPostgresType(i);
            columns[i] = parseJson && postgresType.InternalName is "json" or "jsonb"
                ? new RowColumn(name, typeof(object)) { ParsedJson = true }
                : new RowColumn(name, PropertyType(postgresType, reader.GetFieldType(i)));
        }
        return columns;
    }

    private static Type PropertyType(PostgresType postgresType, Type fieldType) => postgresType switch
    {
        { InternalName: "timestamptz" } => typeof(DateTimeOffset?),
        PostgresArrayType { Element.InternalName: "timestamptz" } => typeof(DateTimeOffset?[]),
        _ when fieldType.IsValueType => typeof(Nullable<>).MakeGenericType(fieldType),
        _ => fieldType,
    };

    private static RowReader Create(Type type, RowColumn[] columns, JsonParser? json)
    {
        var reader = Expression.Parameter(typeof(NpgsqlDataReader), "reader");
        var row = Expression.MemberInit(Expression.New(type),
            columns.Select((column, i) => Expression.Bind(type.GetProperty(column.Name)!, ReadColumn(reader, i, column, json))));
        var read = Expression.Lambda<Func<NpgsqlDataReader, object>>(row, reader).Compile();
        var values = new Lazy<Func<NpgsqlDataReader, object?>[]>(() => columns
            .Select((column, i) => Expression.Lambda<Func<NpgsqlDataReader, object?>>(Expression.Convert(ReadColumn(reader, i, column, json), typeof(object)), reader).Compile())
            .ToArray());
        return new RowReader(columns, read, values);
    }

    /// <summary>The typed getter, which reads without boxing: GetFieldValue&lt;int?&gt; gives null for NULL by itself;
    /// reference types are guarded by IsDBNull; arrays and types Npgsql reads only as object come from GetValue;
    /// parsed json is the parser's result for the text.</summary>
    private static Expression ReadColumn(ParameterExpression reader, int ordinal, RowColumn column, JsonParser? json)
    {
        var index = Expression.Constant(ordinal);
        var type = column.Type;
        if (Nullable.GetUnderlyingType(type) is not null) return Expression.Call(reader, GetFieldValue.MakeGenericMethod(type), index);
        Expression value = type == typeof(object) || type == typeof(Array)
            ? Expression.Convert(Expression.Call(reader, GetValue, index), type)
            : Expression.Call(reader, GetFieldValue.MakeGenericMethod(type), index);
        if (column.ParsedJson)
            value = Expression.Invoke(Expression.Constant(json), Expression.Call(reader, GetFieldValue.MakeGenericMethod(typeof(string)), index));
        return Expression.Condition(Expression.Call(reader, IsDBNull, index), Expression.Default(type), value);
    }

    /// <summary>A public class with a public read-write property per column, in column order. Any text is a valid
    /// property name in metadata, so columns such as "?column?" or "count(*)" keep their names.</summary>
    /// <remarks>Named after a hash of the shape, so a shape has the same type name in every session.</remarks>
    private static Type DefineType(RowColumn[] columns, string key)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 6).ToLowerInvariant();
        var name = "Lakebase.Rows.Row_" + hash;
        for (var n = 2; !TypeNames.Add(name); n++) name = $"Lakebase.Rows.Row_{hash}_{n}";
        var builder = Rows.DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
        builder.DefineDefaultConstructor(MethodAttributes.Public);
        for (var i = 0; i < columns.Length; i++) DefineProperty(builder, i, columns[i]);
        return builder.CreateType();
    }

    private static void DefineProperty(TypeBuilder type, int ordinal, RowColumn column)
    {
        var field = type.DefineField("_" + ordinal, column.Type, FieldAttributes.Private);
        const MethodAttributes accessor = MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig;
        var getter = type.DefineMethod("get_" + column.Name, accessor, column.Type, Type.EmptyTypes);
        var il = getter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, field);
        il.Emit(OpCodes.Ret);
        var setter = type.DefineMethod("set_" + column.Name, accessor, null, [column.Type]);
        il = setter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stfld, field);
        il.Emit(OpCodes.Ret);
        var property = type.DefineProperty(column.Name, PropertyAttributes.None, column.Type, null);
        property.SetGetMethod(getter);
        property.SetSetMethod(setter);
    }
}
