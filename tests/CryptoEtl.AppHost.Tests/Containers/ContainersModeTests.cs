using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Containers;

/// <summary>`--mode containers`: the same model as real containers through Testcontainers.</summary>
public sealed class ContainersModeTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Whether a Docker engine answers here (the CLI alone is not enough).</summary>
    private static async Task<bool> DockerEngineRunsAsync() =>
        ExternalTool.FindOnPath("docker") is not null && (await ExternalTool.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: TimeSpan.FromSeconds(20))).ExitCode == 0;

    [Fact]
    public async Task Without_Docker_it_says_so_in_one_line_and_exits_non_zero()
    {
        Assert.SkipWhen(await DockerEngineRunsAsync(), "A Docker engine runs here, so the no-Docker behaviour cannot be observed.");
        var state = Directory.CreateTempSubdirectory("cryptoetl-containers").FullName;

        var result = await AppHostCommand.RunAsync(["--mode", "containers", "--state-dir", state]);

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Docker is not available here, and --mode containers needs a running Docker engine", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_Docker_the_containers_run_moves_data_into_MongoDB()
    {
        Assert.SkipUnless(await DockerEngineRunsAsync(),
            "No Docker engine runs here (only the docker CLI is installed), so the containers run cannot start; this test runs where Docker does.");
        await using var host = ChildProcess.StartDotnet("CryptoEtl.AppHost.dll", ["--mode", "containers", "--run-for", "20m",
            "--state-dir", Directory.CreateTempSubdirectory("cryptoetl-containers").FullName],
            new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = "test-only", ["COINGECKO_PLAN"] = "Public" });
        await host.WaitForLineAsync("All resources are up", TimeSpan.FromMinutes(15), Cancel);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        foreach (var port in new[] { 5100, 5200, 5300 })
        {
            Assert.Equal("Healthy", await http.GetStringAsync(new Uri($"http://localhost:{port}/health"), Cancel));
        }

        using var run = await http.PostAsync(new Uri("http://localhost:5100/runs"), null, Cancel);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, run.StatusCode);
        await Eventually.GetAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>(new Uri("http://localhost:5200/api/pipeline/stats"), Cancel)).GetProperty("documents").GetProperty("ticks").GetInt64(),
            ticks => ticks > 0, TimeSpan.FromMinutes(5), "ticks in MongoDB");
    }
}
