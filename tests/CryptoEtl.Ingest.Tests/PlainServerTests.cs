using CryptoEtl.Contracts;
using CryptoEtl.DevServices.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CryptoEtl.Ingest.Tests;

/// <summary>A saved CoinGecko response served by a plain HTTP server (no simulator logic), pointed at with CoinGecko:BaseUrl.</summary>
public sealed class PlainServerTests
{
    [Fact]
    public async Task Every_valid_coin_of_a_saved_real_response_is_published_as_coingecko_data()
    {
        var body = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "coins-markets-usd-2024-01-01.json"), TestContext.Current.CancellationToken);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var plain = builder.Build();
        plain.MapGet("/coins/markets", () => Results.Bytes(body, "application/json"));
        await plain.StartAsync(TestContext.Current.CancellationToken);

        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:BaseUrl"] = plain.ListeningAddress().ToString() });
        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", "coingecko", 17, 17, 0), (run.Status, run.Source, run.Fetched, run.Published, run.Rejected));
        Assert.Equal(17, harness.Infrastructure.ReadTopic(Topics.Snapshots, 17, TimeSpan.FromSeconds(20)).Count);
    }
}
