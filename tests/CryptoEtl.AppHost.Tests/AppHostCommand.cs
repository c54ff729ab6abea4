using CryptoEtl.AppHost.Model;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests;

/// <summary>The AppHost as users run it (`dotnet CryptoEtl.AppHost.dll ...`), for its one-shot commands.</summary>
internal static class AppHostCommand
{
    /// <summary>The repository this test build came from (where docker/ and the schedule file are committed).</summary>
    public static string RepositoryRoot { get; } =
        RepositoryPaths.Root(AppContext.BaseDirectory) ?? throw new InvalidOperationException($"No CryptoEtl.sln above {AppContext.BaseDirectory}.");

    public static async Task<ExternalTool.Result> RunAsync(IEnumerable<string> arguments)
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.AppHost.dll", arguments);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return new ExternalTool.Result(exitCode, process.Transcript, "");
    }
}
