using Lakebase.Client.Schema;
using Xunit;

namespace Lakebase.Client.Tests.Schema;

public class SchemaDiffTests
{
    private static readonly SchemaObject[] Before =
    [
        new(SchemaObjectKind.Schema, "public", "CREATE SCHEMA public AUTHORIZATION pg_database_owner;"),
        new(SchemaObjectKind.Table, "public.orders", "CREATE TABLE public.orders"),
        new(SchemaObjectKind.Column, "public.orders.id", "id integer NOT NULL", "public.orders", 1),
        new(SchemaObjectKind.Column, "public.orders.amount", "amount numeric DEFAULT 0", "public.orders", 2),
        new(SchemaObjectKind.Constraint, "public.orders.orders_pkey", "ALTER TABLE public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);", "public.orders"),
    ];

    private static readonly SchemaObject[] After =
    [
        Before[0], Before[1], Before[2],
        new(SchemaObjectKind.Column, "public.orders.amount", "amount numeric DEFAULT 1", "public.orders", 2),
        new(SchemaObjectKind.Column, "public.orders.note", "note text", "public.orders", 3),
        Before[4],
        new(SchemaObjectKind.Index, "public.orders_amount_idx", "CREATE INDEX orders_amount_idx ON public.orders USING btree (amount);", "public.orders"),
    ];

    private static List<SchemaObject> Sorted(IEnumerable<SchemaObject> objects)
    {
        var list = objects.ToList();
        list.Sort(SchemaCatalog.Order);
        return list;
    }

    [Fact]
    public void Each_difference_is_one_object_with_before_and_after()
    {
        var differences = SchemaDiff.Compare(Sorted(Before), Sorted(After));
        Assert.Equal(
            [
                new SchemaDifference(SchemaObjectKind.Column, "public.orders.amount", SchemaChange.Changed, "amount numeric DEFAULT 0", "amount numeric DEFAULT 1"),
                new SchemaDifference(SchemaObjectKind.Column, "public.orders.note", SchemaChange.Added, null, "note text"),
                After[6] is var index ? new SchemaDifference(SchemaObjectKind.Index, index.Name, SchemaChange.Added, null, index.Ddl) : null!,
            ],
            differences);
        Assert.Equal([new SchemaDifference(SchemaObjectKind.Column, "public.orders.note", SchemaChange.Removed, "note text", null)],
            SchemaDiff.Compare(Sorted(After), Sorted(After.Where(o => o.Name != "public.orders.note"))));
    }

    [Fact]
    public void Same_schemas_give_no_differences_and_no_text()
    {
        Assert.Empty(SchemaDiff.Compare(Sorted(Before), Sorted(Before)));
        Assert.Equal("", SchemaDiff.UnifiedText(Sorted(Before), Sorted(Before), "a", "b"));
    }

    [Fact]
    public void Text_is_a_unified_diff_of_the_ddl_with_columns_inside_their_table()
    {
        var text = SchemaDiff.UnifiedText(Sorted(Before), Sorted(After), "projects/p/branches/production", "projects/p/branches/dev");
        string[] expected =
        [
            "--- projects/p/branches/production",
            "+++ projects/p/branches/dev",
            "@@ -2,8 +2,11 @@",
            " ",
            " CREATE TABLE public.orders (",
            "     id integer NOT NULL,",
            "-    amount numeric DEFAULT 0",
            "+    amount numeric DEFAULT 1,",
            "+    note text",
            " );",
            " ",
            " ALTER TABLE public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);",
            " ",
            "+CREATE INDEX orders_amount_idx ON public.orders USING btree (amount);",
            "+",
        ];
        Assert.Equal(string.Join("\n", expected) + "\n", text);
    }
}
