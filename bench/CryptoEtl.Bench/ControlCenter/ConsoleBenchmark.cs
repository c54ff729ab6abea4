using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Bench.Transform;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using Microsoft.Playwright;
using Spectre.Console;

namespace CryptoEtl.Bench.ControlCenter;

/// <summary>
/// How long the control center's API takes to answer with N ticks in a topic: the topic list, the newest records, a key
/// search, a filter on decoded fields, records from an offset and from a time (a search by halving on the embedded
/// broker, which has no time index), an export, the consumer groups, the dead letters, producing a record and a reset's
/// dry run. Each request is timed five times after a warm-up; the console runs as its own process against the embedded
/// Kafka and registry.
/// </summary>
internal sealed class ConsoleBenchmark(BenchEnvironment environment, int records)
{
    private const int Repeats = 5;

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]console benchmark[/]: {records:N0} ticks in {Topics.Ticks}; each request {Repeats} times after a warm-up");
        await LoadAsync();
        await using var console = await ServiceProcess.StartAsync("CryptoEtl.ControlCenter", [], new Dictionary<string, string>
        {
            ["ConnectionStrings__kafka"] = environment.Bootstrap,
            ["ConnectionStrings__schema-registry"] = environment.RegistryUrl,
            // The page comes from the project's wwwroot through the static web assets manifest, which Development reads.
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        });
        using var http = new HttpClient { BaseAddress = console.Url, Timeout = TimeSpan.FromMinutes(2) };

        // A time in the middle of partition 0: its records' timestamps are when they were produced.
        var middle = JsonDocument.Parse(await http.GetStringAsync($"/api/topics/{Topics.Ticks}/messages?partition=0&offset={records / 12}&limit=1")).RootElement[0];
        var from = Uri.EscapeDataString(middle.GetProperty("timestamp").GetDateTimeOffset().ToString("O", CultureInfo.InvariantCulture));
        var filter = Uri.EscapeDataString("price > 190 && coin_id == \"coin-007\"");
        var tick = JsonSerializer.Serialize(new
        {
            key = "coin-bench",
            value = new { coin_id = "coin-bench", symbol = "cb", event_time = "2026-01-01T00:00:00Z", price = 1.5, vs_currency = "usd", source = "simulator", run_id = "bench" },
        });
        var requests = new (string Name, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("topics", () => http.GetAsync("/api/topics")),
            ("newest 50", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?limit=50")),
            ("newest 500", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?limit=500")),
            ("key search", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?key=coin-007")),
            ("filter", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?filter={filter}")),
            ("from an offset", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?partition=0&offset=1000&limit=50")),
            ("from a time", () => http.GetAsync($"/api/topics/{Topics.Ticks}/messages?from={from}&limit=50")),
            ("export csv 500", () => http.GetAsync($"/api/topics/{Topics.Ticks}/export?format=csv&limit=500")),
            ("consumer groups", () => http.GetAsync("/api/groups")),
            ("dead letters", () => http.GetAsync("/api/deadletters")),
            ("produce", () => http.PostAsync($"/api/topics/{Topics.Ticks}/records", new StringContent(tick, Encoding.UTF8, "application/json"))),
            ("reset dry run", () => http.PostAsync("/api/groups/cryptoetl-processor/offsets/reset",
                new StringContent($$"""{"topic":"{{Topics.Ticks}}","to":"timestamp","timestamp":"{{Uri.UnescapeDataString(from)}}","dryRun":true}""", Encoding.UTF8, "application/json"))),
            ("page", () => http.GetAsync("/")),
        };
        var table = new Table().AddColumns("request", "p50 ms", "max ms", "bytes");
        var medians = new List<(string Name, double Median)>();
        foreach (var (name, send) in requests)
        {
            using (var warmUp = await send())
            {
                if (!warmUp.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{name} answered {(int)warmUp.StatusCode}: {await warmUp.Content.ReadAsStringAsync()}");
                }
            }

            var times = new List<double>();
            long bytes = 0;
            for (var i = 0; i < Repeats; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await send();
                bytes = (await response.Content.ReadAsByteArrayAsync()).Length;
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            times.Sort();
            table.AddRow(name, $"{times[Repeats / 2]:0.0}", $"{times[^1]:0.0}", $"{bytes:N0}");
            medians.Add((name, times[Repeats / 2]));
        }

        AnsiConsole.Write(table);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"console: {string.Join(", ", medians.Select(m => $"{m.Name} {m.Median:0} ms"))} (p50, {records} records)"));
        await PageLoadsAsync(console.Url);
        return 0;
    }

    /// <summary>
    /// Each page in headless Chromium, from navigation until its data shows, and a browse from the click until the
    /// records show; five times each after a warm-up. Skipped where Debian's Chromium is not installed.
    /// </summary>
    private static async Task PageLoadsAsync(Uri console)
    {
        const string Chromium = "/usr/lib/chromium/chromium";
        if (!File.Exists(Chromium))
        {
            AnsiConsole.MarkupLine($"[yellow]page loads skipped[/]: {Chromium} is not installed (apt-get install chromium)");
            return;
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
        var loads = new (string Name, Func<IPage, Task<double>> Timed)[]
        {
            ("topics page", page => Timed(() => Open(page, "topics", "#topics tbody tr"))),
            ("groups page", page => Timed(() => Open(page, "groups", "#group-partitions tbody tr"))),
            ("schemas page", page => Timed(() => Open(page, "schemas", "#schemas tbody tr"))),
            ("dead letters page", page => Timed(() => Open(page, "deadletters", "#deadletter-total:text-matches(\"^[0-9]\")"))),
            ("browse 20 (click to records)", async page =>
            {
                await Open(page, "topics", "#topics tbody tr");
                return await Timed(async () =>
                {
                    await page.Locator("#topics tr", new() { HasText = Topics.Ticks }).GetByRole(AriaRole.Button, new() { Name = "Browse" }).ClickAsync();
                    await page.Locator("#messages tbody tr").Nth(19).WaitForAsync();
                });
            }),
        };
        var medians = new List<(string Name, double Median)>();
        foreach (var (name, timed) in loads)
        {
            var times = new List<double>();
            for (var i = 0; i <= Repeats; i++)
            {
                var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
                var elapsed = await timed(page);
                if (i > 0) // the first is the warm-up
                {
                    times.Add(elapsed);
                }

                await page.CloseAsync();
            }

            times.Sort();
            medians.Add((name, times[Repeats / 2]));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console pages: {string.Join(", ", medians.Select(m => $"{m.Name} {m.Median:0} ms"))} (p50, Chromium)"));

        async Task Open(IPage page, string name, string filled)
        {
            await page.GotoAsync(new Uri(console, $"/#{name}").ToString());
            await page.Locator(filled).First.WaitForAsync();
        }

        static async Task<double> Timed(Func<Task> action)
        {
            var started = Stopwatch.GetTimestamp();
            await action();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }

    private async Task LoadAsync()
    {
        var serializer = new ContractSerializer<PriceTick>(environment.Registry);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var context = new SerializationContext(MessageComponentType.Value, Topics.Ticks);
        var payloads = new List<(byte[] Key, byte[] Value)>(records);
        for (var i = 0; i < records; i++)
        {
            var coin = $"coin-{i % 250:000}";
            payloads.Add((Encoding.UTF8.GetBytes(coin), await serializer.SerializeAsync(new PriceTick
            {
                CoinId = coin, Symbol = coin, EventTime = start.AddMinutes(i / 250), Price = 100 + (i % 97), VsCurrency = "usd",
                Source = DataSource.Simulator, RunId = "bench",
            }, context)));
        }

        using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 20)).Build();
        foreach (var (key, value) in payloads)
        {
            TransformBenchmark.Produce(producer, Topics.Ticks, key, value);
        }

        producer.Flush();
    }
}
