using System.Security.Cryptography;
using Lakebase.Client.Sql;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Npgsql;

namespace Lakebase.Client.Schema;

/// <summary>A database whose schema can be read. <see cref="Label"/> names it in the diff's header.</summary>
public abstract record SchemaSource(string Label)
{
    /// <summary>Reads the schema; <paramref name="progress"/> hears about slow steps (a temporary branch).</summary>
    internal abstract Task<IReadOnlyList<SchemaObject>> ReadAsync(IProgress<string>? progress, CancellationToken cancellationToken);

    protected static async Task<IReadOnlyList<SchemaObject>> ReadAsync(Func<Task<NpgsqlConnection>> open, CancellationToken cancellationToken)
    {
        await using var connection = await open().ConfigureAwait(false);
        return await SchemaCatalog.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Any PostgreSQL server, by connection string.</summary>
public sealed record ConnectionStringSchemaSource(string ConnectionString, string Label) : SchemaSource(Label)
{
    internal override Task<IReadOnlyList<SchemaObject>> ReadAsync(IProgress<string>? progress, CancellationToken cancellationToken) =>
        ReadAsync(() => DatabaseSessions.OpenDirectAsync(ConnectionString, cancellationToken), cancellationToken);
}

/// <summary>
/// A database of a branch, through its read-write endpoint, on any workspace or Lakebase Local. With
/// <see cref="AsOf"/>, the branch as it was then: a temporary branch at that time (with a one-hour TTL, in case the
/// cleanup never runs) is read and removed again.
/// </summary>
public sealed record BranchSchemaSource(DatabaseSessions Sessions, string BranchName, string? Database, DateTimeOffset? AsOf = null)
    : SchemaSource(AsOf is { } time ? $"{BranchName}@{time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ}" : BranchName)
{
    private static readonly TimeSpan TemporaryBranchTtl = TimeSpan.FromHours(1);

    internal override async Task<IReadOnlyList<SchemaObject>> ReadAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (AsOf is not { } time) return await ReadBranchAsync(BranchName, cancellationToken).ConfigureAwait(false);
        var client = Sessions.Client;
        var source = ResourceName.Parse(BranchName);
        // compare-<branch>-<6 hex>, within the 63 characters an id may have.
        var branchId = source.BranchId!;
        var temporaryId = $"compare-{branchId[..Math.Min(branchId.Length, 48)].TrimEnd('-')}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant()}";
        progress?.Report($"Creating {temporaryId}, {BranchName} as it was at {time:u}");
        var created = await client.CreateBranchAsync(source.ProjectName, temporaryId, new Branch
        {
            Spec = new BranchSpec { SourceBranch = BranchName, SourceBranchTime = time, Ttl = TemporaryBranchTtl },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var temporary = ResourceName.Branch(source.ProjectId, temporaryId).ToString();
        try
        {
            await client.WaitForOperationAsync(created, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await ReadBranchAsync(temporary, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            progress?.Report($"Removing {temporaryId}");
            var removal = await client.DeleteBranchAsync(temporary, purge: true, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await client.WaitForOperationAsync(removal, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The same database of the branch this one was made from, now.</summary>
    internal async Task<BranchSchemaSource> ParentAsync(CancellationToken cancellationToken)
    {
        var branch = await Sessions.Client.GetBranchAsync(BranchName, cancellationToken).ConfigureAwait(false);
        return branch.Status?.SourceBranch is { } parent
            ? new BranchSchemaSource(Sessions, parent, Database)
            : throw new ArgumentException($"Branch {BranchName} is a root branch: it has no parent to compare with. Name the other branch to compare with.");
    }

    private async Task<IReadOnlyList<SchemaObject>> ReadBranchAsync(string branchName, CancellationToken cancellationToken)
    {
        Endpoint? readWrite = null;
        await foreach (var endpoint in Sessions.Client.ListEndpointsAsync(branchName, cancellationToken).ConfigureAwait(false))
            if (endpoint.Status?.EndpointType == EndpointType.ReadWrite) readWrite = endpoint;
        if (readWrite is null) throw new InvalidOperationException($"Branch {branchName} has no read-write endpoint to read its schema from.");
        return await ReadAsync(() => Sessions.OpenAsync(DatabaseTarget.For(readWrite, Database), null, null, cancellationToken), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Two schemas and what differs between them: <see cref="Differences"/> object by object, <see cref="Text"/>
/// as a unified diff of their DDL (empty when they are the same).</summary>
public sealed record SchemaComparison(string Reference, string Difference, IReadOnlyList<SchemaDifference> Differences, string Text)
{
    /// <summary>Reads both schemas (one after the other, so a temporary branch exists no longer than its read) and
    /// compares them. Without a reference, a branch is compared with its parent (the branch it was made from).</summary>
    public static async Task<SchemaComparison> CompareAsync(SchemaSource? reference, SchemaSource difference, IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        reference ??= difference is BranchSchemaSource branch
            ? await branch.ParentAsync(cancellationToken).ConfigureAwait(false)
            : throw new ArgumentException("Name the schema to compare with: a connection string has no parent branch.");
        var before = await reference.ReadAsync(progress, cancellationToken).ConfigureAwait(false);
        var after = await difference.ReadAsync(progress, cancellationToken).ConfigureAwait(false);
        return new SchemaComparison(reference.Label, difference.Label, SchemaDiff.Compare(before, after),
            SchemaDiff.UnifiedText(before, after, reference.Label, difference.Label));
    }
}
