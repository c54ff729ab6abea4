using System.Diagnostics;

namespace CryptoEtl.TestSupport;

/// <summary>Runs a third-party command-line tool (kcat, python3, psql) the way a user would, and captures its output.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Debian's Python, which sees Debian's python3-* packages (a pyenv python3 earlier on the PATH does not).</summary>
    public const string DebianPython = "/usr/bin/python3";

    /// <summary>Null when the tool is on the PATH, otherwise the reason a test that needs it is skipped.</summary>
    public static string? Missing(string tool, string package) =>
        FindOnPath(tool) is null ? $"'{tool}' is not installed here (apt-get install {package}; .ci/run installs it)." : null;

    public static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    public static async Task<Result> RunAsync(string tool, IEnumerable<string> arguments, string? standardInput = null,
        TimeSpan? timeout = null, IDictionary<string, string>? environment = null, CancellationToken cancellation = default)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', start.ArgumentList)} did not finish in time. Output so far: {await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
