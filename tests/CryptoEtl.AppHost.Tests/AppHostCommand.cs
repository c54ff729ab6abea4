using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests;

/// <summary>The AppHost as users run it (`dotnet CryptoEtl.AppHost.dll ...`), for its one-shot commands.</summary>
internal static class AppHostCommand
{
    /// <summary>The repository this test build came from (where docker/ and the schedule file are committed).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static async Task<ExternalTool.Result> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.AppHost.dll", arguments, workingDirectory: workingDirectory);
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(1));
        return new ExternalTool.Result(exitCode, process.Transcript, "");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CryptoEtl.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No CryptoEtl.sln above {AppContext.BaseDirectory}.");
    }
}
