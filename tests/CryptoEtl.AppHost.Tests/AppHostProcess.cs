using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests;

/// <summary>The AppHost as users run it: its own process (`dotnet CryptoEtl.AppHost.dll ...`, what `dotnet run` starts).</summary>
internal static class AppHostProcess
{
    public const string Assembly = "CryptoEtl.AppHost.dll";

    /// <summary>
    /// What `dotnet run` takes from Properties/launchSettings.json (plain HTTP, no developer certificate, no login), with
    /// the dashboard, its OTLP endpoint and the resource service on free ports so that runs do not collide.
    /// </summary>
    public static Dictionary<string, string> LaunchEnvironment() => new()
    {
        ["ASPNETCORE_URLS"] = $"http://localhost:{FreePorts.Next()}",
        ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{FreePorts.Next()}",
        ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{FreePorts.Next()}",
        ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
        ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        ["ASPIRE_VERSION_CHECK_DISABLED"] = "true",
        ["DOTNET_ENVIRONMENT"] = "Development",
    };

    public static ChildProcess Start(IEnumerable<string> arguments, bool ignoreInterrupt = false) =>
        ChildProcess.StartDotnet(Assembly, arguments, LaunchEnvironment(), ignoreInterrupt: ignoreInterrupt);

    /// <summary>A one-shot command (publishing, a bad option): its exit code and everything it printed.</summary>
    public static async Task<ExternalTool.Result> RunAsync(IEnumerable<string> arguments)
    {
        await using var process = Start(arguments);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return new ExternalTool.Result(exitCode, process.Transcript, "");
    }
}
