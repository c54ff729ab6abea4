using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.TestSupport;

namespace CryptoEtl.DevServices.Tests.CoinGecko;

public sealed class CoinGeckoCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Standalone_simulator_prints_its_base_url_and_serves_markets()
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["coingecko", "--port", "0", "--coins", "25"]);
        var baseUrl = (await process.WaitForLineAsync(@"^coingecko\.base\.url=(\S+)$", TimeSpan.FromSeconds(30), Cancel)).Groups[1].Value;

        using var http = new HttpClient();
        var coins = await http.GetFromJsonAsync<JsonElement[]>($"{baseUrl}/coins/markets?vs_currency=usd&per_page=250", Cancel);

        Assert.Equal(25, coins!.Length);
        Assert.Contains("SIMULATED", process.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_are_refused_with_every_problem_named()
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["coingecko", "--coins", "0", "--error-rate", "2"]);

        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("ErrorRate must be between 0 and 1 (got 2)", process.Transcript, StringComparison.Ordinal);
        Assert.Contains("between 1 and 1000000 coins", process.Transcript, StringComparison.Ordinal);
    }
}
