using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.Kafka;
using CryptoEtl.Processor.Loading;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// The whole pipeline as the embedded run has it: the broker, the registry and the CoinGecko simulator (in this process,
/// as the embedded run's DevServices), Ingest, the job's local executor and the Processor with its LiteDB store (each its
/// own process). The benchmark plays the scheduler: it triggers Ingest runs of <c>coins</c> snapshots at the cadence a
/// rate needs, one step per rate, rising until a stage falls behind. Freshness is measured per record from the coin's
/// <c>last_updated</c> to the moment a <c>GET /api/coins</c> answer that holds it arrives (every page, 1,000 coins each, read
/// back to back, at most every 100 ms, so a figure includes up to one poll of observation delay).
/// </summary>
internal sealed class PipelineBenchmark(BenchEnvironment environment, PipelineBenchmark.Settings settings)
{
    public sealed record Settings(int Coins, IReadOnlyList<int> Rates, TimeSpan Step, TimeSpan Settle);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagSampleInterval = TimeSpan.FromMilliseconds(250);
    private static readonly string JobGroup = new LocalExecutorOptions().ConsumerGroup;
    private static readonly string LoaderGroup = new LoaderOptions().ConsumerGroup;
    private static readonly string[] LoaderTopics = [Topics.Ticks, Topics.Candles, Topics.Alerts];

    /// <summary>The loader's input per snapshot: a tick and a candle update per interval (1m, 5m, 1h); alerts are rare.</summary>
    private const int RecordsPerSnapshot = 4;

    private readonly string _state = Directory.CreateTempSubdirectory("cryptoetl-bench-pipeline").FullName;

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]pipeline benchmark[/]: {settings.Coins:N0} coins per Ingest run, rates {string.Join(", ", settings.Rates.Select(r => $"{r:N0}"))}/s, "
            + $"{settings.Step.TotalSeconds:0} s a step (the first {settings.Settle.TotalSeconds:0} s not measured); {Environment.ProcessorCount} cores");
        await using var simulator = await StartSimulatorAsync();
        var services = await StartServicesAsync(simulator.ListeningAddress());
        try
        {
            using var ingest = new HttpClient { BaseAddress = services[0].Url, Timeout = TimeSpan.FromSeconds(30) };
            using var processor = new HttpClient { BaseAddress = services[2].Url, Timeout = TimeSpan.FromSeconds(30) };
            using var lag = new KafkaOffsets(environment.Bootstrap, TimeSpan.FromSeconds(5));
            // JIT, the store's first pages and the consumers' first assignments, measured nowhere.
            await StepAsync(settings.Rates[0], "warm-up", ingest, processor, lag, services);
            var results = new List<StepResult>();
            foreach (var rate in settings.Rates)
            {
                var result = await StepAsync(rate, $"{rate:N0}/s", ingest, processor, lag, services);
                results.Add(result);
                if (result.Behind is not null)
                {
                    break;
                }
            }

            return Report(results);
        }
        finally
        {
            foreach (var service in services)
            {
                await service.DisposeAsync();
            }

            Directory.Delete(_state, recursive: true);
        }
    }

    private async Task<WebApplication> StartSimulatorAsync()
    {
        // Prices and last_updated move every 100 ms (the least the simulator allows), so every run finds every coin moved.
        var simulator = CoinGeckoSimulatorServer.Build("http://127.0.0.1:0",
            new SimulatorOptions { CoinCount = settings.Coins, RefreshInterval = TimeSpan.FromMilliseconds(100), RateLimitPerMinute = 0 },
            logging: logging => logging.SetMinimumLevel(LogLevel.Warning));
        await simulator.StartAsync();
        return simulator;
    }

    /// <summary>Ingest, the job and the Processor, with the settings the AppHost gives them; the order of the array is the pipeline's.</summary>
    private async Task<ServiceProcess[]> StartServicesAsync(Uri simulator)
    {
        Dictionary<string, string> Settings(string service, params (string Key, string Value)[] more)
        {
            var environmentVariables = new Dictionary<string, string>
            {
                ["ConnectionStrings__kafka"] = environment.Bootstrap,
                ["ConnectionStrings__schema-registry"] = environment.RegistryUrl,
                ["StateDir"] = Path.Combine(_state, service),
            };
            foreach (var (key, value) in more)
            {
                environmentVariables[key] = value;
            }

            return environmentVariables;
        }

        var started = new List<ServiceProcess>();
        try
        {
            await AnsiConsole.Status().StartAsync("starting ingest, sparkjob and processor", async _ =>
            {
                started.Add(await ServiceProcess.StartAsync("CryptoEtl.Ingest", [], Settings("ingest",
                    ("ConnectionStrings__coingecko", new Uri(simulator, "api/v3").ToString()),
                    ("CoinGecko__TopN", settings.Coins.ToString(CultureInfo.InvariantCulture)),
                    ("CoinGecko__RateLimitPerMinute", "100000"))));
                started.Add(await ServiceProcess.StartAsync("CryptoEtl.SparkJob", ["run", "--engine", "local"], Settings("sparkjob")));
                started.Add(await ServiceProcess.StartAsync("CryptoEtl.Processor", [], Settings("processor")));
            });
            return [.. started];
        }
        catch
        {
            foreach (var service in started)
            {
                await service.DisposeAsync();
            }

            throw;
        }
    }

    private async Task<StepResult> StepAsync(int rate, string label, HttpClient ingest, HttpClient processor, KafkaOffsets lag, ServiceProcess[] services)
    {
        var cadence = TimeSpan.FromSeconds((double)settings.Coins / rate);
        using var stop = new CancellationTokenSource(settings.Step);
        var clock = Stopwatch.StartNew();
        var freshness = new List<(TimeSpan At, double Ms)>();
        var jobLag = new List<(TimeSpan At, long Lag)>();
        var loaderLag = new List<(TimeSpan At, long Lag)>();
        long publishedAtSettle = 0, publishedAtEnd = 0;
        var triggers = Task.Run(() => TriggerRunsAsync(ingest, cadence, stop.Token));
        var poll = Task.Run(() => PollFreshnessAsync(processor, clock, freshness, stop.Token));
        await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: settings.Step.TotalSeconds);
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(LagSampleInterval, CancellationToken.None);
                    Array.ForEach(services, s => s.EnsureRunning());
                    var at = clock.Elapsed;
                    // The job's partitions give both its lag and how many snapshots Ingest has published (their ends).
                    var snapshots = await lag.MeasurePartitionsAsync(JobGroup, [Topics.Snapshots]);
                    jobLag.Add((at, snapshots?.Sum(p => p.Lag) ?? -1));
                    loaderLag.Add((at, (await lag.MeasureAsync(LoaderGroup, LoaderTopics))?.Total ?? -1));
                    if (snapshots is not null)
                    {
                        publishedAtEnd = snapshots.Sum(p => p.End);
                        publishedAtSettle = at < settings.Settle ? publishedAtEnd : publishedAtSettle;
                    }
                    task.Value = Math.Min(at.TotalSeconds, settings.Step.TotalSeconds);
                    task.Description = $"{label,8}: job lag {jobLag[^1].Lag,7:N0} · loader lag {loaderLag[^1].Lag,7:N0} · {freshness.Count:N0} served";
                }

                task.Value = task.MaxValue;
            });
        await Task.WhenAll(triggers, poll);

        var measured = (settings.Step - settings.Settle).TotalSeconds;
        var achieved = (publishedAtEnd - publishedAtSettle) / measured;
        // The pipeline keeps up with a rate when Ingest publishes it and freshness does not keep growing: the median of the
        // step's last third is within a quarter (or 250 ms) of its first third's. A stage's lag grows when it rises by more
        // than 5 % of its input rate and ends above a second of input (one that keeps up saw-tooths with runs and batches).
        var job = LagTrend.Of(jobLag, settings.Settle, rate);
        var loader = LagTrend.Of(loaderLag, settings.Settle, rate * RecordsPerSnapshot);
        List<(TimeSpan At, double Ms)> served;
        lock (freshness)
        {
            served = [.. freshness];
        }

        var thirds = (settings.Step - settings.Settle) / 3;
        var early = Median(served.Where(f => f.At < settings.Settle + thirds));
        var late = Median(served.Where(f => f.At >= settings.Step - thirds));
        var staler = late > Math.Max(early * 1.25, early + 250);
        var behind = achieved < 0.9 * rate ? "ingest"
            : staler || job.Growing || loader.Growing ? (job.Slope / rate >= loader.Slope / (rate * RecordsPerSnapshot) ? "sparkjob" : "processor")
            : null;
        var sorted = served.Select(f => f.Ms).Order().ToList();
        var result = new StepResult(rate, achieved, sorted.Count, Percentiles.Of(sorted, 50), Percentiles.Of(sorted, 95), Percentiles.Of(sorted, 99),
            job, loader, behind);
        var verdict = behind is null ? "[green]kept up[/]" : $"[red]{behind} fell behind[/]";
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label}: published {result.Achieved:N0}/s · freshness p50 {result.P50:0} ms, p95 {result.P95:0} ms, p99 {result.P99:0} ms over {result.Served:N0} records (median {early:0} ms early, {late:0} ms late) · lag growth job {job.Slope:+0;-0}/s, loader {loader.Slope:+0;-0}/s · {verdict}"));
        return result;
    }

    /// <summary>What the scheduler would do if it could run this fast: a run every <paramref name="cadence"/>, or at once when the previous one ends late.</summary>
    private static async Task TriggerRunsAsync(HttpClient ingest, TimeSpan cadence, CancellationToken cancellation)
    {
        var next = Stopwatch.GetTimestamp();
        var ticksPerCadence = (long)(cadence.TotalSeconds * Stopwatch.Frequency);
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellation);
                }

                using var response = await ingest.PostAsync("/runs", null, cancellation);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    await Task.Delay(5, cancellation); // the previous run is still going: Ingest is the one behind
                    continue;
                }

                response.EnsureSuccessStatusCode();
                // A late run does not bring a burst of catch-up runs: the next one is a cadence after it at the earliest.
                next = Math.Max(next + ticksPerCadence, Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
    }

    /// <summary>Every coin whose latest quote is newer than in the previous answer is one record served: its freshness is now minus its event time.</summary>
    private async Task PollFreshnessAsync(HttpClient processor, Stopwatch clock, List<(TimeSpan At, double Ms)> freshness, CancellationToken cancellation)
    {
        var seen = new Dictionary<string, DateTimeOffset>();
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var coins = await processor.GetAllAsync<ServedCoin>("/api/coins?limit=1000", JsonSerializerOptions.Web, cancellation);
                var now = DateTimeOffset.UtcNow;
                var at = clock.Elapsed;
                var measuring = at >= settings.Settle;
                foreach (var coin in coins)
                {
                    if (seen.TryGetValue(coin.Id, out var before) && coin.EventTime > before && measuring)
                    {
                        lock (freshness)
                        {
                            freshness.Add((at, (now - coin.EventTime).TotalMilliseconds));
                        }
                    }

                    seen[coin.Id] = coin.EventTime;
                }

                var rest = PollInterval - Stopwatch.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
    }

    private static int Report(List<StepResult> results)
    {
        var table = new Table().AddColumns("target /s", "published /s", "served", "p50 ms", "p95 ms", "p99 ms", "job lag (growth)", "loader lag (growth)", "");
        foreach (var r in results)
        {
            table.AddRow($"{r.Rate:N0}", $"{r.Achieved:N0}", $"{r.Served:N0}", $"{r.P50:0}", $"{r.P95:0}", $"{r.P99:0}", $"{r.Job.Last:N0} ({r.Job.Slope:+0;-0}/s)", $"{r.Loader.Last:N0} ({r.Loader.Slope:+0;-0}/s)",
                r.Behind is null ? "kept up" : $"{r.Behind} fell behind");
        }

        AnsiConsole.Write(table);
        var first = results[0];
        var sustained = results.Where(r => r.Behind is null).ToList();
        var saturated = results.FirstOrDefault(r => r.Behind is not null);
        var saturation = sustained.Count == 0 ? "below the first rate" : $"{sustained[^1].Achieved:0}/s";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pipeline: p99 {first.P99:0} ms at {first.Rate}/s, saturates at {(saturated is null ? $"more than {saturation}" : saturation)} ({saturated?.Behind ?? "no stage"} first)"));
        return 0;
    }

    private static double Median(IEnumerable<(TimeSpan At, double Ms)> samples) =>
        Percentiles.Of(samples.Select(s => s.Ms).Order().ToList(), 50);

    private sealed record ServedCoin(string Id, DateTimeOffset EventTime);

    private sealed record StepResult(int Rate, double Achieved, int Served, double P50, double P95, double P99, LagTrend Job, LagTrend Loader, string? Behind);

    /// <summary>A stage's lag over the measured part of a step: where it ended, its least-squares slope, and whether it kept growing.</summary>
    private sealed record LagTrend(long Last, double Slope, bool Growing)
    {
        public static LagTrend Of(List<(TimeSpan At, long Lag)> samples, TimeSpan settle, double inputRate)
        {
            var measured = samples.Where(s => s.At >= settle).ToList();
            if (measured.Count < 2 || measured.Any(s => s.Lag < 0))
            {
                return new LagTrend(-1, double.NaN, Growing: true); // the broker did not tell the lag: count it as behind rather than guess
            }

            var meanT = measured.Average(s => s.At.TotalSeconds);
            var meanLag = measured.Average(s => (double)s.Lag);
            var slope = measured.Sum(s => (s.At.TotalSeconds - meanT) * (s.Lag - meanLag)) / measured.Sum(s => Math.Pow(s.At.TotalSeconds - meanT, 2));
            return new LagTrend(measured[^1].Lag, slope, slope > 0.05 * inputRate && measured[^1].Lag > inputRate);
        }
    }
}
