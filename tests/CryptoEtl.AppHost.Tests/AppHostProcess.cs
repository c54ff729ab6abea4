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

    /// <param name="environment">The launch environment (a new one on free ports by default) and any more variables.</param>
    public static ChildProcess Start(IEnumerable<string> arguments, bool ignoreInterrupt = false, IDictionary<string, string>? environment = null) =>
        ChildProcess.StartDotnet(Assembly, arguments, environment ?? LaunchEnvironment(), ignoreInterrupt: ignoreInterrupt);

    /// <summary>A one-shot command (publishing, a bad option): its exit code and everything it printed.</summary>
    public static async Task<ExternalTool.Result> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        await using var process = Start(arguments, environment: environment);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return new ExternalTool.Result(exitCode, process.Transcript, "");
    }
}
