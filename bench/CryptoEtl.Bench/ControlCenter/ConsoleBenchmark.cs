using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Bench.Transform;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using Spectre.Console;

namespace CryptoEtl.Bench.ControlCenter;

/// <summary>
/// How long the control center's API takes to answer with N ticks in a topic: the topic list, the newest records, a key
/// search, records from an offset, the consumer groups, the dead letters. Each request is timed five times after a
/// warm-up; the console runs as its own process against the embedded Kafka and registry.
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

        var requests = new (string Name, string Path)[]
        {
            ("topics", "/api/topics"),
            ("newest 50", $"/api/topics/{Topics.Ticks}/messages?limit=50"),
            ("newest 500", $"/api/topics/{Topics.Ticks}/messages?limit=500"),
            ("key search", $"/api/topics/{Topics.Ticks}/messages?key=coin-007"),
            ("from an offset", $"/api/topics/{Topics.Ticks}/messages?partition=0&offset=1000&limit=50"),
            ("consumer groups", "/api/groups"),
            ("dead letters", "/api/deadletters"),
            ("page", "/"),
        };
        var table = new Table().AddColumns("request", "p50 ms", "max ms", "bytes");
        var medians = new List<(string Name, double Median)>();
        foreach (var (name, path) in requests)
        {
            using (var warmUp = await http.GetAsync(path))
            {
                if (!warmUp.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{path} answered {(int)warmUp.StatusCode}: {await warmUp.Content.ReadAsStringAsync()}");
                }
            }

            var times = new List<double>();
            long bytes = 0;
            for (var i = 0; i < Repeats; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path);
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
        return 0;
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
