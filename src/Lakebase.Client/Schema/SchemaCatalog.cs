using Npgsql;

namespace Lakebase.Client.Schema;

/// <summary>What a schema object is, in the order a DDL script creates them.</summary>
public enum SchemaObjectKind { Extension, Role, Schema, Sequence, Table, Column, Constraint, Index, View, Function, Trigger, Grant }

/// <summary>One object of a database's schema as normalized DDL: names schema-qualified (read with search_path set
/// to pg_catalog, as pg_dump does), so the same schema reads the same on any server. <see cref="Table"/> and
/// <see cref="Position"/> place a column in its table.</summary>
public sealed record SchemaObject(SchemaObjectKind Kind, string Name, string Ddl, string? Table = null, int Position = 0);

/// <summary>
/// Reads a database's schema from the system catalogs over SQL, so it works on any PostgreSQL the service runs
/// (pg_dump refuses servers newer than itself): schemas, tables, columns, constraints, indexes, views, sequences,
/// functions, triggers, extensions, roles, role memberships and object privileges. Objects that belong to an
/// extension come with the extension; privileges that are the object's defaults are not listed.
/// </summary>
public static class SchemaCatalog
{
    private const string UserNamespaces = """
        SELECT n.oid FROM pg_namespace n
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
        """;

    private const string NotInExtension = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {0}::regclass AND d.objid = {1} AND d.deptype = 'e')";

    private static readonly string Query = $"""
        WITH ns AS ({UserNamespaces}),
        rel AS (
            SELECT c.oid, c.relkind, c.relpersistence, c.relowner, c.relacl, c.oid::regclass::text AS name FROM pg_class c
            WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
              AND {string.Format(NotInExtension, "'pg_class'", "c.oid")}),
        tbl AS (SELECT * FROM rel WHERE relkind IN ('r', 'p', 'f')),
        fn AS (
            SELECT p.oid, p.prokind, p.proowner, p.proacl, p.oid::regprocedure::text AS name FROM pg_proc p
            WHERE p.pronamespace IN (SELECT oid FROM ns) AND p.prokind IN ('f', 'p') AND {string.Format(NotInExtension, "'pg_proc'", "p.oid")}),
        acl AS (
            SELECT 'SCHEMA' AS type, quote_ident(n.nspname) AS name, n.nspowner AS owner, n.nspacl AS acl, 'n'::"char" AS code
              FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM ns)
            UNION ALL SELECT CASE relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, name, relowner, relacl,
              CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char" FROM rel
            UNION ALL SELECT CASE prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, name, proowner, proacl, 'f'::"char" FROM fn
            UNION ALL SELECT 'DATABASE', quote_ident(datname), datdba, datacl, 'd'::"char" FROM pg_database WHERE datname = current_database()),
        granted AS (
            SELECT a.type, a.name, x.grantee, x.privilege_type, x.is_grantable
            FROM acl a, aclexplode(coalesce(a.acl, acldefault(a.code, a.owner))) x
            EXCEPT
            SELECT a.type, a.name, x.grantee, x.privilege_type, x.is_grantable
            FROM acl a, aclexplode(acldefault(a.code, a.owner)) x)
        SELECT 'Extension', quote_ident(e.extname), NULL, format('CREATE EXTENSION %I WITH SCHEMA %I VERSION %L;', e.extname, n.nspname, e.extversion), 0
          FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        UNION ALL
        SELECT 'Role', quote_ident(r.rolname), NULL, format('CREATE ROLE %I WITH %s;', r.rolname, concat_ws(' ',
            CASE WHEN r.rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END, CASE WHEN r.rolsuper THEN 'SUPERUSER' ELSE 'NOSUPERUSER' END,
            CASE WHEN r.rolcreatedb THEN 'CREATEDB' ELSE 'NOCREATEDB' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END,
            CASE WHEN r.rolinherit THEN 'INHERIT' ELSE 'NOINHERIT' END, CASE WHEN r.rolreplication THEN 'REPLICATION' ELSE 'NOREPLICATION' END,
            CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' ELSE 'NOBYPASSRLS' END)), 0
          FROM pg_roles r WHERE r.rolname !~ '^pg_'
        UNION ALL
        SELECT 'Schema', quote_ident(n.nspname), NULL, format('CREATE SCHEMA %I AUTHORIZATION %I;', n.nspname, pg_get_userbyid(n.nspowner)), 0
          FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM ns)
        UNION ALL
        SELECT 'Sequence', r.name, NULL, format('CREATE SEQUENCE %s AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s%s;', r.name,
            format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END), 0
          FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
          WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'i')
        UNION ALL
        SELECT 'Table', t.name, NULL, format('CREATE %sTABLE %s', CASE t.relkind WHEN 'f' THEN 'FOREIGN ' ELSE
            CASE t.relpersistence WHEN 'u' THEN 'UNLOGGED ' ELSE '' END END, t.name)
            || CASE WHEN t.relkind = 'p' THEN ' PARTITION BY ' || pg_get_partkeydef(t.oid) ELSE '' END, 0
          FROM tbl t
        UNION ALL
        SELECT 'Column', t.name || '.' || quote_ident(a.attname), t.name, quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
            || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
            || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
                    WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END
            || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, a.attnum
          FROM tbl t JOIN pg_attribute a ON a.attrelid = t.oid JOIN pg_type ty ON ty.oid = a.atttypid
          LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
          WHERE a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'Constraint', t.name || '.' || quote_ident(c.conname), t.name,
            format('ALTER TABLE %s ADD CONSTRAINT %I %s;', t.name, c.conname, pg_get_constraintdef(c.oid)), 0
          FROM tbl t JOIN pg_constraint c ON c.conrelid = t.oid WHERE c.contype <> 'n'
        UNION ALL
        SELECT 'Index', i.indexrelid::regclass::text, t.name, pg_get_indexdef(i.indexrelid) || ';', 0
          FROM tbl t JOIN pg_index i ON i.indrelid = t.oid
          WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = t.oid AND c.contype IN ('p', 'u', 'x'))
        UNION ALL
        SELECT 'View', v.name, NULL, format('CREATE %sVIEW %s AS', CASE v.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END, v.name)
            || E'\n' || rtrim(pg_get_viewdef(v.oid, true), E';\n ') || ';', 0
          FROM rel v WHERE v.relkind IN ('v', 'm')
        UNION ALL
        SELECT 'Function', f.name, NULL, rtrim(pg_get_functiondef(f.oid), E'\n') || ';', 0 FROM fn f
        UNION ALL
        SELECT 'Trigger', t.name || '.' || quote_ident(g.tgname), t.name, pg_get_triggerdef(g.oid, false) || ';', 0
          FROM tbl t JOIN pg_trigger g ON g.tgrelid = t.oid WHERE NOT g.tgisinternal
        UNION ALL
        SELECT 'Grant', format('%I TO %I', r.rolname, m.rolname), NULL,
            format('GRANT %I TO %I%s;', r.rolname, m.rolname, CASE WHEN bool_or(am.admin_option) THEN ' WITH ADMIN OPTION' ELSE '' END), 0
          FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
          WHERE m.rolname !~ '^pg_' GROUP BY r.rolname, m.rolname
        UNION ALL
        SELECT 'Grant', format('%s %s TO %s', g.type, g.name, g.grantee_name), NULL,
            format('GRANT %s ON %s %s TO %s%s;', string_agg(g.privilege_type, ', ' ORDER BY g.privilege_type), g.type, g.name, g.grantee_name,
                CASE WHEN bool_and(g.is_grantable) THEN ' WITH GRANT OPTION' ELSE '' END), 0
          FROM (SELECT granted.*, CASE grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END AS grantee_name FROM granted) g
          GROUP BY g.type, g.name, g.grantee_name
        """;

    /// <summary>Every object of the connection's database, sorted by kind then name (ordinal), in one read-only
    /// snapshot.</summary>
    public static async Task<IReadOnlyList<SchemaObject>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (var setup = new NpgsqlCommand("SET TRANSACTION READ ONLY; SET LOCAL search_path = pg_catalog", connection, transaction))
            await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var objects = new List<SchemaObject>();
        await using (var command = new NpgsqlCommand(Query, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                objects.Add(new SchemaObject(Enum.Parse<SchemaObjectKind>(reader.GetString(0)), reader.GetString(1), reader.GetString(3),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(4)));
            }
        }
        await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        objects.Sort(Order);
        return objects;
    }

    /// <summary>By kind, then by name (ordinal, so the order does not depend on the culture or the server's collation).</summary>
    public static int Order(SchemaObject left, SchemaObject right)
    {
        var byKind = left.Kind.CompareTo(right.Kind);
        return byKind != 0 ? byKind : string.CompareOrdinal(left.Name, right.Name);
    }
}
