using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Bench.Measuring;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Api;
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
/// own process). A benchmark plays the scheduler in <see cref="StepAsync"/>: it triggers Ingest runs of <c>coins</c>
/// snapshots at the cadence a rate needs. Freshness is measured per record from the coin's <c>last_updated</c> to the
/// moment a <c>GET /api/coins</c> answer that holds it arrives (pages of 1,000 coins read back to back, at most every
/// 100 ms, so a figure includes up to one poll of observation delay).
/// </summary>
internal sealed class PipelineRig : IAsyncDisposable
{
    /// <summary>How long a step runs, and how much of its start is not measured.</summary>
    public sealed record Step(TimeSpan Duration, TimeSpan Settle);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagSampleInterval = TimeSpan.FromMilliseconds(250);
    public static readonly string JobGroup = new LocalExecutorOptions().ConsumerGroup;
    public static readonly string LoaderGroup = new LoaderOptions().ConsumerGroup;
    public static readonly string[] LoaderTopics = [Topics.Ticks, Topics.Candles, Topics.Alerts];

    /// <summary>The loader's input per snapshot: a tick and a candle update per interval (1m, 5m, 1h); alerts are rare.</summary>
    public const int RecordsPerSnapshot = 4;

    private readonly BenchEnvironment _environment;
    private readonly int _coins;
    private readonly int? _freshnessPages;
    private readonly IReadOnlyDictionary<string, string> _jobSettings;
    private readonly string _state = Directory.CreateTempSubdirectory("cryptoetl-bench-pipeline").FullName;
    private readonly List<ServiceProcess> _services = [];
    private WebApplication? _simulator;
    private HttpClient? _ingest;
    private HttpClient? _processor;

    private PipelineRig(BenchEnvironment environment, int coins, int? freshnessPages, IReadOnlyDictionary<string, string>? jobSettings)
    {
        (_environment, _coins, _freshnessPages) = (environment, coins, freshnessPages);
        _jobSettings = jobSettings ?? new Dictionary<string, string>();
        Lag = new KafkaOffsets(environment.Bootstrap, TimeSpan.FromSeconds(5));
    }

    public ServiceProcess Job => _services[1];

    public ServiceProcess Processor => _services[2];

    public KafkaOffsets Lag { get; }

    /// <summary>The simulator and Ingest, then (unless <paramref name="withPipeline"/> is false: <see cref="StartPipelineAsync"/>) the job and the Processor.</summary>
    /// <param name="freshnessPages">Pages of 1,000 coins the freshness poll reads (all by default: too slow a poll past about 20,000 coins).</param>
    /// <param name="jobSettings">More settings for the job's process.</param>
    public static async Task<PipelineRig> StartAsync(BenchEnvironment environment, int coins, int? freshnessPages = null, IReadOnlyDictionary<string, string>? jobSettings = null,
        bool withPipeline = true)
    {
        var rig = new PipelineRig(environment, coins, freshnessPages, jobSettings);
        try
        {
            // Prices and last_updated move every 100 ms (the least the simulator allows), so every run finds every coin moved.
            rig._simulator = CoinGeckoSimulatorServer.Build("http://127.0.0.1:0",
                new SimulatorOptions { CoinCount = coins, RefreshInterval = TimeSpan.FromMilliseconds(100), RateLimitPerMinute = 0 },
                logging: logging => logging.SetMinimumLevel(LogLevel.Warning));
            await rig._simulator.StartAsync();
            var ingest = await rig.StartServiceAsync("CryptoEtl.Ingest", [], "ingest",
                ("ConnectionStrings__coingecko", new Uri(rig._simulator.ListeningAddress(), "api/v3").ToString()),
                ("CoinGecko__TopN", coins.ToString(CultureInfo.InvariantCulture)),
                ("CoinGecko__RateLimitPerMinute", "100000"));
            rig._ingest = new HttpClient { BaseAddress = ingest.Url, Timeout = TimeSpan.FromSeconds(30) };
            if (withPipeline)
            {
                await rig.StartPipelineAsync();
            }

            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>The job and the Processor, with the settings the AppHost gives them.</summary>
    public async Task StartPipelineAsync()
    {
        await StartServiceAsync("CryptoEtl.SparkJob", ["run", "--engine", "local"], "sparkjob", [.. _jobSettings.Select(s => (s.Key, s.Value))]);
        var processor = await StartServiceAsync("CryptoEtl.Processor", [], "processor");
        _processor = new HttpClient { BaseAddress = processor.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    private async Task<ServiceProcess> StartServiceAsync(string name, string[] arguments, string stateName, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__kafka"] = _environment.Bootstrap,
            ["ConnectionStrings__schema-registry"] = _environment.RegistryUrl,
            ["StateDir"] = Path.Combine(_state, stateName),
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        var service = await ServiceProcess.StartAsync(name, arguments, settings);
        _services.Add(service);
        return service;
    }

    /// <summary>
    /// Waits until the job and the loader have nothing left to read, so that no backlog of what came before is measured
    /// in what comes next; returns how long that took. <paramref name="sampled"/> sees each sample: the time since the
    /// start, and the job's and the loader's lag (null when the broker did not tell).
    /// </summary>
    public async Task<TimeSpan> DrainAsync(TimeSpan timeout, Action<TimeSpan, long?, long?>? sampled = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            EnsureRunning();
            var job = await Lag.MeasureAsync(JobGroup, [Topics.Snapshots]);
            var loader = await Lag.MeasureAsync(LoaderGroup, LoaderTopics);
            sampled?.Invoke(Stopwatch.GetElapsedTime(started), job?.Total, loader?.Total);
            if (job?.Total == 0 && loader?.Total == 0)
            {
                return Stopwatch.GetElapsedTime(started);
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"The pipeline did not drain in {timeout}: job lag {job?.Total}, loader lag {loader?.Total}.");
            }

            await Task.Delay(LagSampleInterval);
        }
    }

    /// <summary>One Ingest run, from its trigger to its end.</summary>
    public async Task<RunView> IngestRunAsync(TimeSpan timeout)
    {
        using var response = await _ingest!.PostAsync("/runs", null);
        response.EnsureSuccessStatusCode();
        var run = (await response.Content.ReadFromJsonAsync<RunView>(JsonSerializerOptions.Web))!;
        var started = Stopwatch.GetTimestamp();
        while (run.Status == "running")
        {
            EnsureRunning();
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"Ingest run {run.RunId} did not end in {timeout}.");
            }

            await Task.Delay(LagSampleInterval);
            run = (await _ingest!.GetFromJsonAsync<RunView>($"/runs/{run.RunId}", JsonSerializerOptions.Web))!;
        }

        return run;
    }

    /// <summary>Throws with what a service printed when it has stopped: a benchmark must not measure a dead service.</summary>
    public void EnsureRunning() => _services.ForEach(s => s.EnsureRunning());

    public async ValueTask DisposeAsync()
    {
        _ingest?.Dispose();
        _processor?.Dispose();
        Lag.Dispose();
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        Directory.Delete(_state, recursive: true);
    }

    /// <summary>
    /// One step: Ingest runs at the cadence <paramref name="rate"/> needs for <see cref="Step.Duration"/>, the first
    /// <see cref="Step.Settle"/> not measured; whether the pipeline kept up, and how fresh what it served was.
    /// </summary>
    public async Task<StepResult> StepAsync(int rate, string label, Step settings)
    {
        var (ingest, processor, lag) = (_ingest!, _processor!, Lag);
        var cadence = TimeSpan.FromSeconds((double)_coins / rate);
        using var stop = new CancellationTokenSource(settings.Duration);
        var clock = Stopwatch.StartNew();
        var freshness = new List<(TimeSpan At, double Ms)>();
        var jobLag = new List<(TimeSpan At, long Lag)>();
        var loaderLag = new List<(TimeSpan At, long Lag)>();
        long publishedAtSettle = 0, publishedAtEnd = 0;
        var triggers = Task.Run(() => TriggerRunsAsync(ingest, cadence, stop.Token));
        var poll = Task.Run(() => PollFreshnessAsync(processor, clock, freshness, settings, stop.Token));
        await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: settings.Duration.TotalSeconds);
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(LagSampleInterval, CancellationToken.None);
                    EnsureRunning();
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
                    task.Value = Math.Min(at.TotalSeconds, settings.Duration.TotalSeconds);
                    task.Description = $"{label,8}: job lag {jobLag[^1].Lag,7:N0} · loader lag {loaderLag[^1].Lag,7:N0} · {freshness.Count:N0} served";
                }

                task.Value = task.MaxValue;
            });
        await Task.WhenAll(triggers, poll);

        var measured = (settings.Duration - settings.Settle).TotalSeconds;
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

        var thirds = (settings.Duration - settings.Settle) / 3;
        var byThird = Enumerable.Range(0, 3)
            .Select(i => served.Where(f => f.At >= settings.Settle + i * thirds && (i == 2 || f.At < settings.Settle + (i + 1) * thirds)).Select(f => f.Ms).Order().ToList())
            .ToList();
        var early = Percentiles.Of(byThird[0], 50);
        var late = Percentiles.Of(byThird[2], 50);
        var staler = late > Math.Max(early * 1.25, early + 250);
        var behind = achieved < 0.9 * rate ? "ingest"
            : staler || job.Growing || loader.Growing ? (job.Slope / rate >= loader.Slope / (rate * RecordsPerSnapshot) ? "sparkjob" : "processor")
            : null;
        var sorted = served.Select(f => f.Ms).Order().ToList();
        var p99ByThird = byThird.All(t => t.Count > 0) ? new Spread(byThird.Select(t => Percentiles.Of(t, 99))) : null;
        var result = new StepResult(rate, achieved, sorted.Count, Percentiles.Of(sorted, 50), Percentiles.Of(sorted, 95), Percentiles.Of(sorted, 99),
            p99ByThird, job, loader, behind);
        var verdict = behind is null ? "[green]kept up[/]" : $"[red]{behind} fell behind[/]";
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label}: published {result.Achieved:N0}/s · freshness p50 {result.P50:0} ms, p95 {result.P95:0} ms, p99 {result.P99:0} ms over {result.Served:N0} records (p99 by third {result.P99ByThird?.ToString("0") ?? "-"}; median {early:0} ms early, {late:0} ms late) · lag growth job {job.Slope:+0;-0}/s, loader {loader.Slope:+0;-0}/s · {verdict}"));
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
    private async Task PollFreshnessAsync(HttpClient processor, Stopwatch clock, List<(TimeSpan At, double Ms)> freshness, Step settings, CancellationToken cancellation)
    {
        var seen = new Dictionary<string, DateTimeOffset>();
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var coins = await processor.GetAllAsync<ServedCoin>("/api/coins?limit=1000", JsonSerializerOptions.Web, cancellation, _freshnessPages ?? int.MaxValue);
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

    private sealed record ServedCoin(string Id, DateTimeOffset EventTime);

    /// <param name="P99ByThird">p99 over each third of the measured step: how steady the step was (null when a third served nothing).</param>
    public sealed record StepResult(int Rate, double Achieved, int Served, double P50, double P95, double P99, Spread? P99ByThird, LagTrend Job, LagTrend Loader, string? Behind);

    /// <summary>A stage's lag over the measured part of a step: where it ended, its least-squares slope, and whether it kept growing.</summary>
    public sealed record LagTrend(long Last, double Slope, bool Growing)
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
