using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The page reads the services' APIs through the console: only the read paths it needs, answers passed on as they are.</summary>
public sealed class ServiceProxyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_market_and_runs_paths_reach_their_services_and_nothing_else_does()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var processor = builder.Build();
        processor.MapGet("/api/coins/{id}/candles", (string id, string? interval) => Results.Ok(new[] { new { coinId = id, interval } }));
        processor.MapGet("/api/coins", (int? limit, HttpResponse response) =>
        {
            response.Headers.Link = $"</api/coins?limit={limit}&after=abc>; rel=\"next\"";
            return Results.Ok(new[] { new { id = "bitcoin" } });
        });
        processor.MapGet("/api/alerts", (int? limit) => Results.Problem($"limit must be between 1 and 1000 (got {limit}).", statusCode: 400));
        await processor.StartAsync(Cancel);
        var unreachable = $"http://127.0.0.1:{FreePorts.Next()}";

        await using var console = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={infrastructure.BootstrapServers}", $"--ConnectionStrings:schema-registry={infrastructure.RegistryUrl}",
             $"--services:processor:http:0={processor.ListeningAddress()}", $"--services:airflow:http:0={unreachable}"]);
        using var http = new HttpClient { BaseAddress = new Uri((await console.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value) };

        var candles = await http.GetFromJsonAsync<JsonElement>("/api/market/coins/bitcoin/candles?interval=5m", Cancel);
        Assert.Equal(("bitcoin", "5m"), (candles[0].GetProperty("coinId").GetString(), candles[0].GetProperty("interval").GetString()));

        using var coins = await http.GetAsync("/api/market/coins?limit=1", Cancel); // a page, and where the next one is through the console
        Assert.Equal("</api/market/coins?limit=1&after=abc>; rel=\"next\"", Assert.Single(coins.Headers.GetValues("Link")));

        using var refused = await http.GetAsync("/api/market/alerts?limit=0", Cancel); // the service's own answer, passed on
        Assert.Equal((HttpStatusCode.BadRequest, "limit must be between 1 and 1000 (got 0)."), (refused.StatusCode, (await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString()));

        foreach (var (path, status, detail) in new[]
        {
            ("/api/market/../../admin", HttpStatusCode.NotFound, null),
            ("/api/market/coins/bitcoin/delete", HttpStatusCode.NotFound, "The console does not forward /api/market/coins/bitcoin/delete."),
            ("/api/runs/dag", HttpStatusCode.BadGateway, "airflow does not answer."),
            ("/api/runs/ingest", HttpStatusCode.ServiceUnavailable, "The console does not know where ingest is (services__ingest__http__0 is not set)."),
        })
        {
            using var response = await http.GetAsync(path, Cancel);
            Assert.Equal(status, response.StatusCode);
            if (detail is not null)
            {
                Assert.Equal(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());
            }
        }
    }
}
