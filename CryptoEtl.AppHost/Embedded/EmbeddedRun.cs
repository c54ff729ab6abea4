using System.Text.Json;
using CryptoEtl.AppHost.Model;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.DevServices.SchemaRegistry;
using CryptoEtl.DevServices.Scheduler;
using CryptoEtl.ServiceDefaults.State;
using CryptoEtl.SparkJob.Local;
using Spectre.Console;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>
/// The embedded realisation of the app model: Kafka, the Schema Registry, the CoinGecko simulator, the scheduler and
/// the dashboard in this process; Ingest, SparkJob and Processor as supervised child processes with Aspire-style
/// environments. Stops in order: scheduler, ingest, then (once the job and the loader have drained what Kafka
/// acknowledged) the job and the loader, then the stand-ins.
/// </summary>
public sealed class EmbeddedRun : IAsyncDisposable
{
    private static readonly string[] Services = ["processor", "sparkjob", "ingest"];

    private readonly IReadOnlyList<Resource> _resources;
    private readonly EmbeddedRunOptions _options;
    private readonly List<FileLogSink> _logs = [];
    private readonly List<WebApplication> _servers = [];
    private readonly Dictionary<string, ServiceProcess> _processes = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private PipelineCountsProbe? _counts;
    private PipelineCounts _lastCounts = PipelineCounts.Empty;
    private bool _stopped;

    private EmbeddedRun(IReadOnlyList<Resource> resources, EmbeddedRunOptions options)
    {
        _resources = resources;
        _options = options;
        Log = Sink("apphost");
    }

    public EmbeddedKafkaBroker Broker { get; private set; } = null!;

    public string Source { get; private set; } = "";

    /// <summary>Resource name to address: what endpoints.json holds.</summary>
    public SortedDictionary<string, string> Endpoints { get; } = new(StringComparer.Ordinal);

    public FileLogSink Log { get; }

    public ServiceProcess Service(string name) => _processes[name];

    public Uri Url(string name) => new(Endpoints[name]);

    /// <summary>Runs until Ctrl+C or --run-for, showing the status; returns the exit code.</summary>
    public static async Task<int> RunToCompletionAsync(IReadOnlyList<Resource> resources, EmbeddedRunOptions options, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (options.RunFor is { } duration)
        {
            stop.CancelAfter(duration);
        }

        EmbeddedRun run;
        try
        {
            run = await StartAsync(resources, options, Console.Out, stop.Token);
        }
        catch (Exception e) when (e is ScheduleException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"The embedded run could not start: {e.Message}");
            return 1;
        }

        await using (run)
        {
            await run.ShowStatusUntilAsync(stop.Token);
            Console.WriteLine("Stopping in order: scheduler, ingest, draining the job and the loader, then the stand-ins...");
            var summary = await run.StopAsync();
            Console.WriteLine(StatusView.Line(summary.Counts));
            if (options.SummaryPath is { } path)
            {
                summary.Write(path);
                Console.WriteLine($"Summary: {Path.GetFullPath(path)}");
            }

            return 0;
        }
    }

    public static async Task<EmbeddedRun> StartAsync(IReadOnlyList<Resource> resources, EmbeddedRunOptions options, TextWriter console, CancellationToken cancellation)
    {
        var run = new EmbeddedRun(resources, options);
        try
        {
            await run.StartAllAsync(console, cancellation);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public Task<PipelineCounts> CountsAsync(CancellationToken cancellation) => _counts!.ReadAsync(cancellation);

    public IReadOnlyList<ResourceSummary> ResourceStates() => _resources.Where(r => !r.ContainersOnly && r.Kind != ResourceKind.Parameter).Select(r =>
        _processes.TryGetValue(r.Name, out var process)
            ? new ResourceSummary(r.Name, r.EmbeddedDescription, process.State.ToString(), process.Restarts, process.Url.ToString().TrimEnd('/'))
            : new ResourceSummary(r.Name, r.EmbeddedDescription, r.Embedded == EmbeddedAs.Replaced ? "Replaced" : _stopped ? "Stopped" : "Running",
                0, Endpoints.GetValueOrDefault(r.Embedded == EmbeddedAs.Scheduler ? "scheduler" : r.Name))).ToList();

    /// <summary>Ctrl+C: stops everything in order, draining the job and the loader; returns the summary.</summary>
    public async Task<RunSummary> StopAsync()
    {
        if (_stopped)
        {
            throw new InvalidOperationException("The embedded run is already stopped.");
        }

        // The run histories are read while the scheduler and Ingest still answer; the rest once the pipeline has drained.
        var histories = await CountsAsync(CancellationToken.None);
        foreach (var scheduler in _servers.Where(s => s.Environment.ApplicationName == SchedulerServer.ServiceName))
        {
            await scheduler.StopAsync();
        }

        if (_processes.TryGetValue("ingest", out var ingest))
        {
            await ingest.StopAsync(TimeSpan.FromSeconds(60));
        }

        await DrainAsync(TimeSpan.FromSeconds(90));
        _lastCounts = await CountsAsync(CancellationToken.None) with { Runs = histories.Runs, DagRuns = histories.DagRuns };
        foreach (var name in new[] { "sparkjob", "processor" })
        {
            if (_processes.TryGetValue(name, out var process))
            {
                await process.StopAsync(TimeSpan.FromSeconds(30));
            }
        }

        _stopped = true;
        var summary = new RunSummary("embedded", Source, _options.StateDirectory, _startedAt, DateTimeOffset.UtcNow,
            new SortedDictionary<string, string>(Endpoints), _lastCounts, ResourceStates());
        await StopStandInsAsync();
        return summary;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            foreach (var process in _processes.Values)
            {
                await process.StopAsync(TimeSpan.FromSeconds(10));
            }

            _stopped = true;
            await StopStandInsAsync();
        }

        foreach (var log in _logs)
        {
            log.Dispose();
        }
    }

    private async Task StartAllAsync(TextWriter console, CancellationToken cancellation)
    {
        Directory.CreateDirectory(_options.StateDirectory);
        var schedule = PipelineSchedule.Load(ScheduleFile(), _options.ScheduleEnvironment ?? Environment.GetEnvironmentVariable("CRYPTOETL_ENVIRONMENT") ?? "dev");
        var settings = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var environment = new EmbeddedEnvironment(_resources, settings);

        Broker = EmbeddedKafkaBroker.Start();
        ForgetCheckpointsOfAnEarlierBroker(console);
        foreach (var topic in Topics.All)
        {
            Broker.CreateTopic(topic.Name, topic.Partitions);
        }

        environment.SetConnectionString("kafka", Broker.BootstrapServers);
        Endpoints["kafka"] = Broker.BootstrapServers;

        var registry = await StartServerAsync("schema-registry", logging => SchemaRegistryServer.Build("http://127.0.0.1:0", Path.Combine(_options.StateDirectory, "schema-registry"), logging: logging), cancellation);
        environment.SetConnectionString("schema-registry", registry.ToString().TrimEnd('/'));

        await ChooseSourceAsync(environment, console, cancellation);

        foreach (var name in Services)
        {
            environment.SetUrl(name, EmbeddedEnvironment.FreeLocalUrl());
        }

        foreach (var name in Services)
        {
            var resource = _resources.Single(r => r.Name == name);
            var arguments = name == "sparkjob" ? (IReadOnlyList<string>)["run", "--engine", "local"] : resource.Args;
            var url = environment.UrlOf(name);
            Endpoints[name] = url.ToString().TrimEnd('/');
            var process = new ServiceProcess(name, $"{resource.Project}.dll", arguments, environment.For(resource, _options.StateDirectory), url, Sink(name));
            _processes[name] = process;
            process.Start();
            await process.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120), cancellation);
        }

        var scheduler = await StartServerAsync(SchedulerServer.ServiceName, logging => SchedulerServer.Build("http://127.0.0.1:0", schedule,
            Service("ingest").Url, Service("processor").Url, Settings(("StateDir", Path.Combine(_options.StateDirectory, SchedulerServer.ServiceName)),
                ("ConnectionStrings:postgres", environment.ConnectionString("postgres"))), logging: logging), cancellation);
        _counts = new PipelineCountsProbe(Broker.BootstrapServers, Service("processor").Url, Service("ingest").Url, scheduler);

        await StartServerAsync("control-center", logging => DashboardServer.Build(
            async c => new DashboardStatus(Source, ResourceStates(), await CountsAsync(c)), logging), cancellation);

        File.WriteAllText(Path.Combine(_options.StateDirectory, "endpoints.json"), JsonSerializer.Serialize(Endpoints, RunSummary.Format));
        Log.Write($"{DateTimeOffset.UtcNow:O} AppHost: all resources up; endpoints in {Path.Combine(_options.StateDirectory, "endpoints.json")}");
        await console.WriteLineAsync($"Endpoints ({Path.Combine(_options.StateDirectory, "endpoints.json")}):");
        foreach (var (name, address) in Endpoints)
        {
            await console.WriteLineAsync($"  {name,-16} {address}");
        }

        if (_options.RunAtStart)
        {
            using var http = new HttpClient();
            using var response = await http.PostAsync(new Uri(scheduler, "/scheduler/runs"), null, cancellation);
            Log.Write($"{DateTimeOffset.UtcNow:O} AppHost: first run triggered at start ({(int)response.StatusCode}); then the schedule '{schedule.Cron}'");
        }
    }

    private async Task ChooseSourceAsync(EmbeddedEnvironment environment, TextWriter console, CancellationToken cancellation)
    {
        var useReal = _options.Source switch
        {
            "coingecko" => true,
            "simulator" => false,
            _ => await CoinGeckoSource.RealApiAnswersAsync(cancellation),
        };
        if (useReal)
        {
            Source = "coingecko";
            Endpoints["coingecko"] = CoinGeckoSource.RealApi;
            environment.SetConnectionString("coingecko", CoinGeckoSource.RealApi);
            return;
        }

        Source = "simulator";
        // A livelier market than the real one, so alerts and dead letters show within minutes of starting.
        var simulator = await StartServerAsync("coingecko", logging => CoinGeckoSimulatorServer.Build("http://127.0.0.1:0",
            new SimulatorOptions { RefreshInterval = TimeSpan.FromSeconds(30), RateLimitPerMinute = 30, JumpProbability = 0.02 },
            new SimulatorFaults { BadCoinRate = 0.004 }, logging: logging), cancellation);
        Endpoints["coingecko"] = $"{simulator.ToString().TrimEnd('/')}/api/v3";
        environment.SetConnectionString("coingecko", Endpoints["coingecko"]);
        var why = _options.Source == "auto" ? "the CoinGecko API did not answer /ping" : "--source simulator";
        var banner = $"SIMULATED DATA: {why}, so the CoinGecko simulator serves market data (every record carries source = simulator).";
        Log.Write($"{DateTimeOffset.UtcNow:O} AppHost: {banner}");
        await console.WriteLineAsync(new string('!', 100));
        await console.WriteLineAsync(banner);
        await console.WriteLineAsync(new string('!', 100));
    }

    /// <summary>Waits until the job and the loader have processed everything Kafka acknowledged.</summary>
    private async Task DrainAsync(TimeSpan timeout)
    {
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = Broker.BootstrapServers })
            .SetLogHandler((_, _) => { }).Build();
        using var watermarks = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>(
            new Confluent.Kafka.ConsumerConfig { BootstrapServers = Broker.BootstrapServers, GroupId = "cryptoetl-apphost-drain" }).SetLogHandler((_, _) => { }).Build();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var lag = await LagAsync(admin, watermarks, "cryptoetl-sparkjob", [Topics.Snapshots])
                + await LagAsync(admin, watermarks, "cryptoetl-processor", [Topics.Ticks, Topics.Candles, Topics.Alerts]);
            if (lag == 0)
            {
                Log.Write($"{DateTimeOffset.UtcNow:O} AppHost: drained: the job and the loader have committed everything");
                return;
            }

            await Task.Delay(250);
        }

        Log.Write($"{DateTimeOffset.UtcNow:O} AppHost: gave up draining after {timeout}");
    }

    private static async Task<long> LagAsync(Confluent.Kafka.IAdminClient admin, Confluent.Kafka.IConsumer<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore> watermarks, string group, string[] topics)
    {
        var partitions = topics.SelectMany(t => Enumerable.Range(0, Topics.All.Single(s => s.Name == t).Partitions).Select(p => new Confluent.Kafka.TopicPartition(t, p))).ToList();
        var committed = (await admin.ListConsumerGroupOffsetsAsync([new Confluent.Kafka.ConsumerGroupTopicPartitions(group, partitions)])).Single().Partitions;
        return committed.Sum(c => watermarks.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(3)).High.Value - (c.Offset.IsSpecial ? 0 : c.Offset.Value));
    }

    private async Task ShowStatusUntilAsync(CancellationToken stop)
    {
        if (_options.Live)
        {
            await AnsiConsole.Live(StatusView.Render(Source, ResourceStates(), _lastCounts)).StartAsync(async context =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await RefreshAsync();
                    context.UpdateTarget(StatusView.Render(Source, ResourceStates(), _lastCounts));
                    await Task.Delay(1000, stop).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            });
            return;
        }

        for (var tick = 1; !stop.IsCancellationRequested; tick++)
        {
            await Task.Delay(1000, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            await RefreshAsync();
            if (tick % 10 == 0)
            {
                Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {string.Join(" ", ResourceStates().Where(r => r.State != "Replaced").Select(r => $"{r.Name}={r.State}{(r.Restarts > 0 ? $"({r.Restarts} restarts)" : "")}"))}");
                Console.WriteLine($"         {StatusView.Line(_lastCounts)}");
            }
        }
    }

    /// <summary>Reads the counts and writes &lt;state-dir&gt;/resources.json: each resource's state, restarts and process id.</summary>
    private async Task RefreshAsync()
    {
        _lastCounts = await CountsAsync(CancellationToken.None);
        var resources = ResourceStates().Select(r => new
        {
            r.Name, r.Realisation, r.State, r.Restarts, r.Endpoint,
            ProcessId = _processes.TryGetValue(r.Name, out var process) ? process.ProcessId : null,
        });
        AtomicFile.WriteAllText(Path.Combine(_options.StateDirectory, "resources.json"), JsonSerializer.Serialize(resources, RunSummary.Format));
    }

    private async Task<Uri> StartServerAsync(string name, Func<Action<ILoggingBuilder>, WebApplication> build, CancellationToken cancellation)
    {
        var sink = Sink(name);
        var app = build(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(new FileLoggerProvider(sink));
        });
        await app.StartAsync(cancellation);
        _servers.Add(app);
        var url = app.ListeningAddress();
        Endpoints[name] = url.ToString().TrimEnd('/');
        return url;
    }

    private async Task StopStandInsAsync()
    {
        foreach (var server in Enumerable.Reverse(_servers))
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }

        _servers.Clear();
        _counts?.Dispose();
        Broker?.Dispose();
    }

    private FileLogSink Sink(string name)
    {
        var sink = new FileLogSink(Path.Combine(_options.StateDirectory, "logs", $"{name}.log"));
        _logs.Add(sink);
        return sink;
    }

    /// <summary>
    /// The embedded broker keeps its data in memory, so each run starts with empty topics; the job's checkpoints of an
    /// earlier run point at offsets the new topics do not have (and would fence the job off its partitions). The store,
    /// the registry and the run history stay: they do not depend on offsets.
    /// </summary>
    private void ForgetCheckpointsOfAnEarlierBroker(TextWriter console)
    {
        var checkpoints = LocalExecutorService.DefaultCheckpointDirectory(Path.Combine(_options.StateDirectory, LocalExecutorService.ServiceName));
        if (Directory.Exists(checkpoints))
        {
            Directory.Delete(checkpoints, recursive: true);
            console.WriteLine($"The embedded broker starts empty: removed the job's checkpoints of the previous run ({checkpoints}).");
        }
    }

    private string ScheduleFile() =>
        _options.ScheduleFile ?? Path.Combine(AppContext.BaseDirectory, "crypto_etl_schedule.json");

    private static IEnumerable<KeyValuePair<string, string?>> Settings(params (string Key, string? Value)[] settings) =>
        settings.Where(s => s.Value is not null).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value));
}
