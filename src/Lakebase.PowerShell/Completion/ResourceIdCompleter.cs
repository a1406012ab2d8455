using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;

namespace Lakebase.PowerShell.Completion;

/// <summary>
/// Tab completion of resource ids from the service: the ids in the collection that the parameters already typed name
/// (a branch's endpoints once -ProjectId and -BranchId are there), through -Context or the session's context. Lists are
/// kept a few seconds, so pressing Tab again does not call the service again. Completion never fails into the
/// console: anything that goes wrong (not connected, a typo in -ProjectId, a slow service) completes nothing.
/// </summary>
public abstract class ResourceIdCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private static readonly ConcurrentDictionary<(Type Completer, LakebaseContext Context, string Collection), (DateTime Listed, string[] Ids)> Listed = new();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var context = Bound(fakeBoundParameters, "Context") as LakebaseContext ?? ContextStore.Current;
            if (context is null || Collection(fakeBoundParameters) is not { } collection) return [];
            var word = wordToComplete.Trim('\'', '"');
            return Ids(context, collection)
                .Where(id => id.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(id => new CompletionResult(id, id, CompletionResultType.ParameterValue, id))
                .ToList();
        }
#pragma warning disable CA1031 // Deliberate: a completer that throws prints the exception into the user's prompt.
        catch (Exception)
#pragma warning restore CA1031
        {
            return [];
        }
    }

    /// <summary>What to list: the parent's name ("" for projects); null when the parameters typed so far do not name it.</summary>
    private protected abstract string? Collection(IDictionary bound);

    /// <summary>The ids in <paramref name="collection"/>.</summary>
    /// <remarks>Takes the context, not its client: a type that PowerShell lists at import must not name a type from deps/
    /// in what it overrides, which loads before the module's resolver is registered.</remarks>
    private protected abstract IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken);

    private protected static string? Text(IDictionary bound, string name) => Bound(bound, name)?.ToString() is { Length: > 0 } text ? text : null;

    private protected static string? BranchName(IDictionary bound) =>
        Text(bound, "BranchId") is { } branch ? Names.Branch(Text(bound, "ProjectId"), branch).ToString() : null;

    /// <summary>The ids of <paramref name="resources"/>: the last segment of each one's name.</summary>
    private protected static async IAsyncEnumerable<string> Ids<T>(IAsyncEnumerable<T> resources, Func<T, string?> name)
    {
        await foreach (var resource in resources.ConfigureAwait(false))
            if (name(resource) is { } full) yield return full[(full.LastIndexOf('/') + 1)..];
    }

    private static object? Bound(IDictionary bound, string name) => bound.Contains(name) && bound[name] is { } value
        ? value is PSObject wrapped ? wrapped.BaseObject : value
        : null;

    private string[] Ids(LakebaseContext context, string collection)
    {
        var key = (GetType(), context, collection);
        if (Listed.TryGetValue(key, out var cached) && DateTime.UtcNow - cached.Listed < Fresh) return cached.Ids;
        using var budget = new CancellationTokenSource(Budget);
        var ids = Task.Run(async () =>
        {
            var found = new List<string>();
            await foreach (var id in ListAsync(context, collection, budget.Token).ConfigureAwait(false)) found.Add(id);
            return found.Order(StringComparer.Ordinal).ToArray();
        }).GetAwaiter().GetResult();
        Listed[key] = (DateTime.UtcNow, ids);
        return ids;
    }
}

/// <summary>Completes -ProjectId with the projects of the context.</summary>
public sealed class ProjectIdCompleter : ResourceIdCompleter
{
    private protected override string? Collection(IDictionary bound) => "";

    private protected override IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken) =>
        Ids(context.Client.ListProjectsAsync(false, cancellationToken), project => project.Name);
}

/// <summary>Completes -BranchId with the branches of the project -ProjectId names.</summary>
public sealed class BranchIdCompleter : ResourceIdCompleter
{
    private protected override string? Collection(IDictionary bound) =>
        Text(bound, "ProjectId") is { } project ? Names.Project(project).ToString() : null;

    private protected override IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken) =>
        Ids(context.Client.ListBranchesAsync(collection, false, cancellationToken), branch => branch.Name);
}

/// <summary>Completes -EndpointId with the endpoints of the branch -ProjectId and -BranchId name.</summary>
public sealed class EndpointIdCompleter : ResourceIdCompleter
{
    private protected override string? Collection(IDictionary bound) => BranchName(bound);

    private protected override IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken) =>
        Ids(context.Client.ListEndpointsAsync(collection, cancellationToken), endpoint => endpoint.Name);
}

/// <summary>Completes -RoleId with the roles of the branch -ProjectId and -BranchId name.</summary>
public sealed class RoleIdCompleter : ResourceIdCompleter
{
    private protected override string? Collection(IDictionary bound) => BranchName(bound);

    private protected override IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken) =>
        Ids(context.Client.ListRolesAsync(collection, cancellationToken), role => role.Name);
}

/// <summary>Completes -DatabaseId with the databases of the branch -ProjectId and -BranchId name.</summary>
public sealed class DatabaseIdCompleter : ResourceIdCompleter
{
    private protected override string? Collection(IDictionary bound) => BranchName(bound);

    private protected override IAsyncEnumerable<string> ListAsync(LakebaseContext context, string collection, CancellationToken cancellationToken) =>
        Ids(context.Client.ListDatabasesAsync(collection, cancellationToken), database => database.Name);
}
