using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.AppHost.Infrastructure;
using CryptoEtl.Contracts.Api;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// What the run tells the person who started it: once every resource is up, each one's address (printed, and written
/// to &lt;state-dir&gt;/endpoints.json with the dashboard's; an earlier run's file is removed at start); every 10 s a
/// status line with the resources' health and the pipeline's counts; what a broker that came back empty lost
/// (RunReport.BrokerLoss.cs); at the end, the summary (<c>--summary</c>).
/// </summary>
public sealed partial class RunReport(
    DistributedApplicationModel model,
    PipelineRunOptions run,
    ShutdownOrder order,
    IConfiguration configuration,
    ResourceNotificationService notifications,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IHttpClientFactory clients,
    ILogger<RunReport> logger) : SupervisionService
{
    public const string EndpointsFile = "endpoints.json";

    /// <summary>The dashboard's login link in endpoints.json (a secret of the run: the file is readable by its owner only, and the link is never logged).</summary>
    public const string DashboardLogin = "dashboard-login";
    public static readonly JsonSerializerOptions Format = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public const string StoppedState = "Stopped";
    private const string AspireDashboard = "aspire-dashboard";
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, ResourceEvent> _latest = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt = clock.GetUtcNow();

    public string EndpointsPath => Path.Combine(run.StateDirectory, EndpointsFile);

    /// <summary>Resource name to address: kafka's bootstrap servers, each HTTP endpoint, the CoinGecko API, the dashboard.</summary>
    public SortedDictionary<string, string> Endpoints()
    {
        var endpoints = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in model.Resources.Where(r => Snapshot(r) is not { IsHidden: true }))
        {
            var address = resource switch
            {
                EmbeddedKafkaResource or KafkaServerResource => ((IResourceWithConnectionString)resource).GetConnectionStringAsync().AsTask().GetAwaiter().GetResult(),
                CoinGeckoApiResource or CoinGeckoSimulatorResource => ((IResourceWithConnectionString)resource).GetConnectionStringAsync().AsTask().GetAwaiter().GetResult(),
                IResourceWithEndpoints withEndpoints when withEndpoints.GetEndpoints().FirstOrDefault(e => e.EndpointName == "http" && e.IsAllocated) is { } http => http.Url,
                _ => null,
            };
            if (address is not null)
            {
                endpoints[resource.Name] = address;
            }
        }

        if (Dashboard() is { } dashboard)
        {
            endpoints["dashboard"] = dashboard;
            // Aspire's default login: a browser token per run (unless ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true).
            if (configuration["AppHost:BrowserToken"] is { Length: > 0 } token)
            {
                endpoints[DashboardLogin] = $"{dashboard.TrimEnd('/')}/login?t={Uri.EscapeDataString(token)}";
            }
        }

        return endpoints;
    }

    /// <summary>The pipeline's counts from the control center (embedded run); null when it does not answer.</summary>
    public async Task<PipelineCounts?> CountsAsync(CancellationToken cancellation)
    {
        if (model.Resources.OfType<ProjectResource>().FirstOrDefault(r => r.Name == "control-center") is not { } console)
        {
            return null;
        }

        try
        {
            var status = await clients.CreateClient(RunSupervisionExtensions.ServicesClient).GetFromJsonAsync<PipelineStatus>(new Uri(new Uri(console.GetEndpoint("http").Url), "/api/status"), ApiJson.Options, cancellation);
            return status?.Counts;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException
            or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return null;
        }
    }

    public IReadOnlyList<ResourceSummary> Resources() => [.. model.Resources.Where(r => r is not ParameterResource && Snapshot(r) is { IsHidden: false }).Select(r =>
    {
        var snapshot = Snapshot(r)!;
        var property = (string name) => snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
        return new ResourceSummary(r.Name, snapshot.ResourceType, snapshot.State?.Text ?? "Unknown",
            int.TryParse(property(ResourceRestarts.RestartsProperty), out var restarts) ? restarts : 0,
            property(ReplacedResourceExtensions.ReplacedByProperty),
            Unhealthy(snapshot),
            property(ResourceRestarts.CrashLoopProperty));
    })];

    /// <summary>
    /// A consumer's group and lag from its GET /kafka/lag, and the records Kafka lost before it read them; nothing for
    /// a service that consumes no Kafka here (404); a null lag when it cannot be read.
    /// </summary>
    public async Task<IEnumerable<ConsumerProgress>> LagAsync(IResourceWithEndpoints consumer, CancellationToken cancellation)
    {
        try
        {
            using var response = await clients.CreateClient(RunSupervisionExtensions.ServicesClient).GetAsync(new Uri(new Uri(consumer.GetEndpoint("http").Url), LagView.Path), cancellation);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return [];
            }

            return response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<LagView>(ApiJson.Options, cancellation) is { } lag
                ? [new ConsumerProgress(consumer.Name, lag.Group, lag.Total, lag.Lost.Values.Sum())]
                : [new ConsumerProgress(consumer.Name, consumer.Name, null, 0)];
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            return [new ConsumerProgress(consumer.Name, consumer.Name, null, 0)]; // whatever went wrong, the lag is unknown
        }
    }

    /// <summary>Writes the summary, if one was asked for; returns its path.</summary>
    /// <param name="stopped">The resources the ordered shutdown stopped: their state is "Stopped", whatever DCP reports after it let go of them.</param>
    public string? WriteSummary(PipelineCounts? counts, DrainOutcome drain, IReadOnlyCollection<string> stopped)
    {
        if (run.SummaryPath is not { } path)
        {
            return null;
        }

        var summary = new RunSummary(run.Mode.ToString().ToLowerInvariant(), Source(), run.StateDirectory, _startedAt, clock.GetUtcNow(),
            new SortedDictionary<string, string>(Endpoints().Where(e => e.Key != DashboardLogin).ToDictionary(), StringComparer.Ordinal), counts ?? PipelineCounts.Empty, [.. Resources().Select(r => stopped.Contains(r.Name) ? r with { State = StoppedState } : r)], drain,
            [.. _brokerLosses], UnreadLosses());
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(summary, Format));
        return path;
    }

    /// <summary>"12 of 13 healthy · processor: /health timed out · sparkjob restarted 1×", then the counts.</summary>
    public string StatusLine(PipelineCounts? counts)
    {
        var resources = Resources().Where(r => r.State != ReplacedResourceExtensions.State).ToList();
        var healthy = resources.Count(r => r.State == KnownResourceStates.Running && r.Unhealthy is null);
        var notes = resources.Select(r => r switch
            {
                { CrashLoop: { } error } => $"{r.Name} crash loop: {error}",
                { State: var state } when state != KnownResourceStates.Running => $"{r.Name} {state}",
                { Unhealthy: { } why } => $"{r.Name}: {why}",
                _ => null,
            }).OfType<string>()
            .Concat(resources.Where(r => r.Restarts > 0 && r.CrashLoop is null).Select(r => $"{r.Name} restarted {r.Restarts}×"))
            .Concat(_brokerLosses.Select(loss => loss.Line()))
            .Concat(UnreadLosses().Select(l => $"{l.Key} found {l.Value} records Kafka lost before it read them"));
        return string.Join(" · ", [$"{healthy} of {resources.Count} healthy", .. notes]) + (counts is null ? "" : $"\n  {counts.Line()}");
    }

    /// <summary>Why a running resource is not healthy (its first failing check), or null.</summary>
    private static string? Unhealthy(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text != KnownResourceStates.Running || snapshot.HealthStatus is null or HealthStatus.Healthy
            ? null
            : snapshot.HealthReports.FirstOrDefault(h => h.Status is not HealthStatus.Healthy) is { } report
                ? report.Description ?? report.ExceptionText?.Split('\n')[0] ?? report.Name
                : "not healthy";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        // The addresses of an earlier run are dead: nobody may read them as this run's.
        File.Delete(EndpointsPath);
        var watching = Task.Run(async () =>
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                var previous = _latest.GetValueOrDefault(update.ResourceId);
                _latest[update.ResourceId] = update;
                if (update.Resource is EmbeddedKafkaResource && previous?.Snapshot.State?.Text == KnownResourceStates.Running
                    && KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text) && !lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    BrokerLost(update.Snapshot.ExitCode);
                }
            }
        }, stoppingToken);

        var announcing = AnnounceWhenUpAsync(stoppingToken);

        // The status goes on whatever is up: a resource that never gets healthy is said here.
        using var timer = new PeriodicTimer(StatusInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var counts = await CountsAsync(stoppingToken);
            await ObserveAsync(counts, stoppingToken);
            Status(logger, StatusLine(counts));
        }

        await Task.WhenAll(watching, announcing);
    }

    /// <summary>Once every process is up: each one's address, printed and written to endpoints.json.</summary>
    private async Task AnnounceWhenUpAsync(CancellationToken stoppingToken)
    {
        await WaitUntilUpAsync(stoppingToken);
        var endpoints = Endpoints();
        Directory.CreateDirectory(run.StateDirectory);
        // Whole or not at all (a reader never sees it half-written: a test read it empty once), and the owner's only from the start.
        var written = $"{EndpointsPath}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(written, new System.Text.UTF8Encoding(false), options))
        {
            file.Write(JsonSerializer.Serialize(endpoints, Format));
        }

        File.Move(written, EndpointsPath, overwrite: true);

        AllUp(logger, EndpointsPath, string.Join("\n", endpoints.Where(e => e.Key != DashboardLogin).Select(e => $"  {e.Key,-16} {e.Value}")));
    }

    /// <summary>Every process of the model running and healthy (hidden ones, such as Aspire's project rebuilders, aside).</summary>
    private async Task WaitUntilUpAsync(CancellationToken cancellation)
    {
        foreach (var resource in model.Resources.Where(r => r is ProjectResource or ExecutableResource))
        {
            await notifications.WaitForResourceAsync(resource.Name, e => e.Snapshot.IsHidden
                || (e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy), cancellation);
        }
    }

    /// <summary>
    /// The resource's newest snapshot: for a process, the one DCP publishes under its instance id (ingest-abcdefgh)
    /// rather than the initial one under its name.
    /// </summary>
    private CustomResourceSnapshot? Snapshot(IResource resource) =>
        _latest.Values.Where(e => e.Resource == resource).OrderBy(e => e.ResourceId == resource.Name).Select(e => e.Snapshot).FirstOrDefault();

    private string Source() => model.Resources.Any(r => r is CoinGeckoSimulatorResource) ? "simulator" : "coingecko";

    /// <summary>The dashboard's address, unless the dashboard is off (as under Aspire.Hosting.Testing): it is then no resource of the model.</summary>
    private string? Dashboard() =>
        model.Resources.Any(r => r.Name == AspireDashboard) && configuration["ASPNETCORE_URLS"] is { Length: > 0 } urls ? urls.Split(';')[0] : null;

    [LoggerMessage(1, LogLevel.Information, "Every resource is up. Endpoints (also in {Path}):\n{Endpoints}")]
    private static partial void AllUp(ILogger logger, string path, string endpoints);

    [LoggerMessage(2, LogLevel.Information, "{Status}")]
    private static partial void Status(ILogger logger, string status);
}

/// <summary>Where a consumer stands, from its GET /kafka/lag: its group's lag (null: unknown) and the records Kafka lost before it read them.</summary>
public sealed record ConsumerProgress(string Resource, string Group, long? Lag, long Lost);

public static class PipelineCountsLine
{
    /// <summary>One line: records written per topic, stored documents, runs.</summary>
    public static string Line(this PipelineCounts counts) =>
        $"{string.Join(" · ", counts.Topics.Select(t => $"{t.Key.Split('.')[^1]} {t.Value}"))}"
        + $" · stored {string.Join(", ", counts.Collections.Select(kv => $"{kv.Key} {kv.Value}"))}"
        + $" · runs {string.Join(", ", counts.Runs.Select(kv => $"{kv.Key} {kv.Value}"))}";
}

/// <summary>The JSON written by --summary at exit.</summary>
public sealed record RunSummary(
    string Mode,
    string Source,
    string StateDirectory,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyDictionary<string, string> Endpoints,
    PipelineCounts Counts,
    IReadOnlyList<ResourceSummary> Resources,
    DrainOutcome Drain,
    IReadOnlyList<BrokerLoss> BrokerLosses,
    IReadOnlyDictionary<string, long> LostBeforeRead);

/// <param name="Type">How the resource is realised (Project, Executable, Container, SQLite (embedded), ...).</param>
/// <param name="ReplacedBy">For a resource the embedded run does not start: what stands in for it.</param>
/// <param name="Unhealthy">Why a running resource is not healthy (its first failing health check); null when it is.</param>
/// <param name="CrashLoop">The last error of a resource in a crash loop; null when it is not in one.</param>
public sealed record ResourceSummary(string Name, string Type, string State, int Restarts, string? ReplacedBy, string? Unhealthy = null, string? CrashLoop = null);
