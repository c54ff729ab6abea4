using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CryptoEtl.AppHost.Running;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoEtl.AppHost.Tests;

/// <summary>
/// The whole app model started embedded by Aspire.Hosting.Testing (DCP runs every process, as under `dotnet run`),
/// with the simulator as the source, a state directory of its own and a summary: HttpClients and addresses for named
/// resources, their console logs, kill -9 of a resource's process, and a stop that runs the AppHost's ordered shutdown.
/// </summary>
public sealed class PipelineApp : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private PipelineApp(DistributedApplication app, string stateDirectory, TimeSpan startup)
    {
        App = app;
        StateDirectory = stateDirectory;
        Startup = startup;
    }

    public DistributedApplication App { get; }

    public string StateDirectory { get; }

    public string SummaryPath => Path.Combine(StateDirectory, "summary.json");

    /// <summary>From the start of the AppHost until every resource was up.</summary>
    public TimeSpan Startup { get; }

    /// <summary>Resource name to address, as the AppHost wrote them to &lt;state-dir&gt;/endpoints.json.</summary>
    public IReadOnlyDictionary<string, string> Endpoints { get; private set; } = new Dictionary<string, string>();

    /// <param name="arguments">More AppHost arguments (the defaults: --source simulator --state-dir &lt;temp&gt; --summary &lt;state-dir&gt;/summary.json).</param>
    public static async Task<PipelineApp> StartAsync(IEnumerable<string>? arguments = null, string? stateDirectory = null, CancellationToken cancellation = default)
    {
        stateDirectory ??= Directory.CreateTempSubdirectory("cryptoetl-apphost").FullName;
        var started = Stopwatch.StartNew();
        // With the dashboard, as `dotnet run` has it (on free ports): the services' telemetry has somewhere to go, so
        // they stop as fast as they do for users (an OTLP endpoint nobody answers holds each stop for 10 s).
        var launch = AppHostProcess.LaunchEnvironment().SelectMany(setting => (string[])[$"--{setting.Key}", setting.Value]);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CryptoEtl_AppHost>(
            ["--source", "simulator", "--state-dir", stateDirectory, "--summary", Path.Combine(stateDirectory, "summary.json"), .. launch, .. arguments ?? []],
            (options, _) => options.DisableDashboard = false, cancellation);
        var app = await builder.BuildAsync(cancellation);
        var pipeline = new PipelineApp(app, stateDirectory, TimeSpan.Zero);
        try
        {
            await app.StartAsync(cancellation);
            var endpoints = Path.Combine(stateDirectory, RunReport.EndpointsFile);
            await Eventually.TrueAsync(() => File.Exists(endpoints), TimeSpan.FromMinutes(3), "every resource up (endpoints.json)");
            pipeline = new PipelineApp(app, stateDirectory, started.Elapsed)
            {
                Endpoints = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints, cancellation))!,
            };
            return pipeline;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateHttpClient(string resource)
    {
        var client = App.CreateHttpClient(resource);
        client.Timeout = TimeSpan.FromSeconds(30);
        _clients.Add(client);
        return client;
    }

    /// <summary>A resource's snapshot as the dashboard shows it.</summary>
    public CustomResourceSnapshot Snapshot(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state) ? state.Snapshot : throw new InvalidOperationException($"No resource {resource}.");

    public int Restarts(string resource) =>
        int.TryParse(Snapshot(resource).Properties.FirstOrDefault(p => p.Name == ResourceRestarts.RestartsProperty)?.Value?.ToString(), out var restarts) ? restarts : 0;

    /// <summary>
    /// kill -9 of the resource's own process, as a crash would end it: for a project that is the child of the
    /// `dotnet run` DCP started, which then exits too. Returns the killed pid.
    /// </summary>
    public int Kill(string resource)
    {
        var pid = int.Parse(Snapshot(resource).Properties.Single(p => p.Name == "executable.pid").Value!.ToString()!, CultureInfo.InvariantCulture);
        var target = ChildrenOf(pid).FirstOrDefault(pid);
        using var process = Process.GetProcessById(target);
        process.Kill();
        return target;
    }

    public Task WaitForRestartAsync(string resource, int restarts, CancellationToken cancellation) =>
        App.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running
            && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy && Restarts(resource) >= restarts, cancellation);

    /// <summary>Everything the resource's process printed so far.</summary>
    public async Task<string> ConsoleLogAsync(string resource, CancellationToken cancellation)
    {
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        quiet.CancelAfter(TimeSpan.FromSeconds(2)); // the backlog arrives at once; then the stream waits for new lines
        try
        {
            await foreach (var batch in logs.WatchAsync(ResourceId(resource)).WithCancellation(quiet.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
        }

        return string.Join('\n', lines);
    }

    /// <summary>Stops the app as Ctrl+C does: the AppHost's ordered shutdown runs (producers, drain, consumers), then every resource stops.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await App.StopAsync(limit.Token);
    }

    /// <summary>Waits until the app stops by itself (--run-for).</summary>
    public async Task WaitForShutdownAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await App.WaitForShutdownAsync(limit.Token);
        _stopped = true;
    }

    public async Task<RunSummary> SummaryAsync() =>
        JsonSerializer.Deserialize<RunSummary>(await File.ReadAllTextAsync(SummaryPath), Json)!;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (!_stopped)
        {
            await StopAsync();
        }

        await App.DisposeAsync();
    }

    private string ResourceId(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state) ? state.ResourceId : resource;

    private static IEnumerable<int> ChildrenOf(int pid) =>
        File.Exists($"/proc/{pid}/task/{pid}/children")
            ? File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))
            : [];
}
