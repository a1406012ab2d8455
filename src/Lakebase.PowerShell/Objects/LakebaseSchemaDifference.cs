using Lakebase.Client.Schema;

namespace Lakebase.PowerShell.Objects;

/// <summary>One difference between two schemas (Compare-LakebaseBranch): the object, its kind, and how it changed,
/// with the normalized DDL of each side.</summary>
public sealed class LakebaseSchemaDifference
{
    internal LakebaseSchemaDifference(SchemaDifference difference)
    {
        Kind = difference.Kind.ToString();
        Name = difference.Name;
        Change = difference.Change.ToString();
        Before = difference.Before;
        After = difference.After;
    }

    /// <summary>Extension, Role, Schema, Sequence, Table, Column, Constraint, Index, View, Function, Trigger or Grant.</summary>
    public string Kind { get; }
    /// <summary>Schema-qualified; a column is table.column, a grant "TABLE t TO role" or "role TO member".</summary>
    public string Name { get; }
    /// <summary>Added (only the compared branch has it), Removed (only the reference has it) or Changed.</summary>
    public string Change { get; }
    /// <summary>The reference's DDL; null when it lacks the object.</summary>
    public string? Before { get; }
    /// <summary>The compared branch's DDL; null when it lacks the object.</summary>
    public string? After { get; }

    public override string ToString() => $"{Change} {Kind} {Name}";
}
