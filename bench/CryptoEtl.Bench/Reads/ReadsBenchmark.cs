using System.Diagnostics;
using System.Globalization;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.TestSupport;
using Spectre.Console;

namespace CryptoEtl.Bench.Reads;

/// <summary>
/// How fast the Processor's read API answers over a market of N coins (LiteDB, as the embedded run has it): the first
/// page of <c>/api/coins</c>, every page one after the other by its <c>Link</c> header, and one coin. The store is
/// filled directly (one latest quote and one tick per coin); the Processor runs as its own process.
/// </summary>
internal sealed class ReadsBenchmark(BenchEnvironment environment, int coins)
{
    private const int Repeats = 200;
    private const int PageSize = 100;

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]reads benchmark[/]: {coins:N0} coins in the store; {Repeats} requests each, pages of {PageSize}");
        var state = Directory.CreateTempSubdirectory("cryptoetl-bench-reads").FullName;
        try
        {
            await FillAsync(Path.Combine(state, StoreRegistration.LiteDbFileName));
            await using var processor = await ServiceProcess.StartAsync("CryptoEtl.Processor", [], new Dictionary<string, string>
            {
                ["ConnectionStrings__kafka"] = environment.Bootstrap,
                ["ConnectionStrings__schema-registry"] = environment.RegistryUrl,
                ["StateDir"] = state,
            });
            using var http = new HttpClient { BaseAddress = processor.Url, Timeout = TimeSpan.FromMinutes(1) };

            var firstPage = await TimeAsync(Enumerable.Repeat($"/api/coins?limit={PageSize}", Repeats), http);
            var everyPage = await TimeEveryPageAsync(http);
            var random = new Random(7);
            var oneCoin = await TimeAsync(Enumerable.Range(0, Repeats).Select(_ => $"/api/coins/{CoinId(random.Next(coins))}"), http);

            var table = new Table().AddColumns("request", "requests", "p50 ms", "p99 ms", "max ms");
            foreach (var (name, times) in new[] { ("first page", firstPage), ("every page", everyPage), ("one coin", oneCoin) })
            {
                table.AddRow(name, $"{times.Count:N0}", $"{Percentiles.Of(times, 50):0.0}", $"{Percentiles.Of(times, 99):0.0}", $"{times[^1]:0.0}");
            }

            AnsiConsole.Write(table);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reads: {coins} coins: first page of {PageSize} p50 {Percentiles.Of(firstPage, 50):0.0} ms p99 {Percentiles.Of(firstPage, 99):0.0} ms, every page p99 {Percentiles.Of(everyPage, 99):0.0} ms ({everyPage.Count} pages), one coin p99 {Percentiles.Of(oneCoin, 99):0.0} ms"));
            return everyPage.Count == (coins + PageSize - 1) / PageSize ? 0 : 1;
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static string CoinId(int index) => $"coin-{index:D6}";

    private async Task FillAsync(string path)
    {
        await using var store = new LiteDbMarketStore(path);
        await store.InitializeAsync(CancellationToken.None);
        var random = new Random(1);
        var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await AnsiConsole.Status().StartAsync($"writing {coins:N0} coins", async _ =>
        {
            foreach (var chunk in Enumerable.Range(0, coins).Chunk(5000))
            {
                var ticks = chunk.Select(i => new PriceTick
                {
                    CoinId = CoinId(i), Symbol = "c", EventTime = time, Price = 1 + random.NextDouble(), VsCurrency = "usd",
                    MarketCap = i % 50 == 0 ? null : Math.Round(random.NextDouble() * 1e9), RunId = "bench", Source = DataSource.Simulator,
                }).ToList();
                await store.WriteAsync(StoreBatch.Reduce(ticks, [], []), CancellationToken.None);
            }
        });
    }

    /// <summary>Follows the Link header from the first page to the last, timing each page.</summary>
    private static async Task<List<double>> TimeEveryPageAsync(HttpClient http)
    {
        var times = new List<double>();
        for (string? next = $"/api/coins?limit={PageSize}"; next is not null;)
        {
            (var elapsed, next) = await TimedGetAsync(http, next);
            times.Add(elapsed);
        }

        times.Sort();
        return times;
    }

    /// <summary>Times each request but the first 20 (the warm-up).</summary>
    private static async Task<List<double>> TimeAsync(IEnumerable<string> paths, HttpClient http)
    {
        var times = new List<double>();
        foreach (var path in paths)
        {
            times.Add((await TimedGetAsync(http, path)).Milliseconds);
        }

        times = [.. times.Skip(20)];
        times.Sort();
        return times;
    }

    /// <summary>One request, read whole: how long it took, and the next page's address if it names one.</summary>
    private static async Task<(double Milliseconds, string? Next)> TimedGetAsync(HttpClient http, string path)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        return (elapsed, LinkPages.Next(response));
    }
}
