using System.Text.RegularExpressions;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Lakebase Local's folders (Api, ControlPlane, Compute, Storage, Postgres, Proxy, ...) depend on each other one way,
/// so the order of an operation reads top-down: a tie back from a lower folder to a higher one fails here, naming the
/// cycle and the files that make it.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string Source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Lakebase.Local"));

    [Fact]
    public void Folders_of_Lakebase_Local_depend_on_each_other_one_way()
    {
        var folders = Directory.GetDirectories(Source).Select(Path.GetFileName).OfType<string>()
            .Where(name => name is not ("bin" or "obj")).ToDictionary(name => name, name => Files(name).ToList());
        Assert.Contains("Compute", folders.Keys);
        var typesOf = folders.ToDictionary(folder => folder.Key,
            folder => folder.Value.SelectMany(file => TypeDeclaration().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value)).ToHashSet());

        // A file depends on a folder when it imports its namespace, or names one of its types qualified by the folder.
        var edges = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (folder, files) in folders)
        {
            edges[folder] = [];
            foreach (var file in files)
            {
                var text = File.ReadAllText(file);
                foreach (var other in folders.Keys.Where(other => other != folder))
                {
                    var qualified = new Regex($@"\b(?:Lakebase\.Local\.)?{other}\.(\w+)");
                    if (text.Contains($"using Lakebase.Local.{other};", StringComparison.Ordinal)
                        || qualified.Matches(text).Any(m => typesOf[other].Contains(m.Groups[1].Value)))
                        edges[folder].TryAdd(other, Path.GetRelativePath(Source, file));
                }
            }
        }

        var cycles = edges.SelectMany(from => from.Value.Keys.Select(to => (from.Key, to)))
            .Where(edge => Reaches(edges, edge.to, edge.Key, []))
            .Select(edge => $"{edge.Key} -> {edge.to} ({edges[edge.Key][edge.to]}), and {edge.to} leads back to {edge.Key}")
            .ToList();
        Assert.True(cycles.Count == 0, "Folders that depend on each other:\n" + string.Join("\n", cycles));
    }

    private static bool Reaches(Dictionary<string, Dictionary<string, string>> edges, string from, string to, HashSet<string> seen) =>
        from == to || (seen.Add(from) && edges[from].Keys.Any(next => Reaches(edges, next, to, seen)));

    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Source, folder), "*.cs", SearchOption.AllDirectories);

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();
}
