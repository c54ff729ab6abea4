using System.Net.Http.Json;
using CryptoEtl.TestSupport;

namespace CryptoEtl.DevServices.Tests.SchemaRegistry;

public sealed class SchemaRegistryCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Standalone_registry_prints_its_url_serves_requests_and_keeps_state_across_restarts()
    {
        var stateDir = Directory.CreateTempSubdirectory("registry-cli").FullName;
        string[] arguments = ["schema-registry", "--port", "0", "--state-dir", stateDir];

        await using (var first = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", arguments))
        {
            var url = (await first.WaitForLineAsync(@"^schema\.registry\.url=(\S+)$", TimeSpan.FromSeconds(30), Cancel)).Groups[1].Value;
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var response = await http.PostAsJsonAsync("/subjects/cli-value/versions", new { schema = "\"string\"" }, Cancel);
            Assert.True(response.IsSuccessStatusCode);
            first.Interrupt();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }

        await using var second = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", arguments);
        var again = (await second.WaitForLineAsync(@"^schema\.registry\.url=(\S+)$", TimeSpan.FromSeconds(30), Cancel)).Groups[1].Value;
        using var client = new HttpClient { BaseAddress = new Uri(again) };
        Assert.Equal("[\"cli-value\"]", await client.GetStringAsync(new Uri("/subjects", UriKind.Relative), Cancel));
    }

    [Fact]
    public async Task An_invalid_port_is_refused_with_a_clear_error()
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["schema-registry", "--port", "70000"]);

        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--port must be between 0 and 65535 (got 70000)", process.Transcript, StringComparison.Ordinal);
    }
}
