using System.Diagnostics;
using System.Text;

namespace Lakebase.Local.Platform;

/// <summary>The result of a finished external command.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs the tools Lakebase Local needs (initdb, pg_ctl, cp) to completion, asynchronously, capturing output.</summary>
internal static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1)) startInfo.ArgumentList.Add(argument);
        startInfo.Environment["LC_ALL"] = "C";
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new CommandResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    public static async Task<CommandResult> RunCheckedAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new InvalidOperationException(new StringBuilder()
                .Append(Path.GetFileName(command[0])).Append(" failed (exit ").Append(result.ExitCode).Append("): ")
                .Append(result.StandardError.Trim()).ToString());
        return result;
    }
}
