using System.Globalization;

// dotnet Lakebase.FaultProxy.dll --upstream http://127.0.0.1:8080 [--port 0] [--seed 42]
// Prints the proxy's URL on one line, then proxies until stdin closes or the process is stopped.
var options = args.Chunk(2).Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1]);
if (!options.TryGetValue("--upstream", out var upstream))
{
    Console.Error.WriteLine("usage: Lakebase.FaultProxy --upstream <url> [--port <port>] [--seed <n>]");
    return 2;
}
var port = options.TryGetValue("--port", out var portText) ? int.Parse(portText, CultureInfo.InvariantCulture) : 0;
int? seed = options.TryGetValue("--seed", out var seedText) ? int.Parse(seedText, CultureInfo.InvariantCulture) : null;
await using var proxy = await Lakebase.FaultProxy.FaultProxy.StartAsync(new Uri(upstream), port, seed);
Console.WriteLine(proxy.Url);
Console.Out.Flush();
await Console.In.ReadToEndAsync();
return 0;
