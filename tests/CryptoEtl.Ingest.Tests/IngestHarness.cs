using System.Diagnostics;
using System.Net.Http.Json;
using CryptoEtl.Contracts.Api;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.Ingest;
using CryptoEtl.Ingest.Runs;
using CryptoEtl.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry.Trace;

namespace CryptoEtl.Ingest.Tests;

/// <summary>
/// The Ingest service on a real port against the CoinGecko simulator (over HTTP), the embedded Kafka and the embedded
/// Schema Registry, with its logs and spans captured.
/// </summary>
internal sealed class IngestHarness : IAsyncDisposable
{
    private readonly bool _ownsInfrastructure;
    private readonly bool _ownsSimulator;

    private IngestHarness(EmbeddedInfrastructure infrastructure, bool ownsInfrastructure, bool ownsSimulator, WebApplication simulator, WebApplication ingest, string stateDirectory, ConcurrentList<Activity> spans)
    {
        Infrastructure = infrastructure;
        _ownsInfrastructure = ownsInfrastructure;
        _ownsSimulator = ownsSimulator;
        Simulator = simulator;
        Ingest = ingest;
        StateDirectory = stateDirectory;
        Spans = spans;
        Http = new HttpClient { BaseAddress = ingest.ListeningAddress() };
        SimulatorHttp = new HttpClient { BaseAddress = simulator.ListeningAddress() };
    }

    public EmbeddedInfrastructure Infrastructure { get; }

    public WebApplication Simulator { get; }

    public WebApplication Ingest { get; }

    public string StateDirectory { get; }

    /// <summary>Spans as they end; read them with <see cref="ConcurrentList{T}.Snapshot"/>.</summary>
    public ConcurrentList<Activity> Spans { get; }

    public HttpClient Http { get; }

    public HttpClient SimulatorHttp { get; }

    public FakeLogCollector Logs => Ingest.Services.GetRequiredService<FakeLogCollector>();

    /// <param name="settings">Ingest configuration on top of the harness defaults (key=value, as on a command line).</param>
    /// <param name="clock">The simulator's and Ingest's clock (the system's by default).</param>
    /// <param name="configure">More of Ingest's set-up, after the harness's.</param>
    public static async Task<IngestHarness> StartAsync(
        SimulatorOptions? simulator = null,
        IDictionary<string, string>? settings = null,
        EmbeddedInfrastructure? infrastructure = null,
        string? stateDirectory = null,
        WebApplication? reuseSimulator = null,
        TimeProvider? clock = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var ownsInfrastructure = infrastructure is null;
        infrastructure ??= await EmbeddedInfrastructure.StartAsync();
        var sim = reuseSimulator ?? CoinGeckoSimulatorServer.Build("http://127.0.0.1:0",
            simulator ?? new SimulatorOptions { CoinCount = 60, RefreshInterval = TimeSpan.FromHours(1), RateLimitPerMinute = 0 },
            clock: clock, args: ["--Logging:LogLevel:Default=Warning"]);
        if (reuseSimulator is null)
        {
            await sim.StartAsync();
        }

        stateDirectory ??= Directory.CreateTempSubdirectory("ingest-state").FullName;
        var all = new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ConnectionStrings:kafka"] = infrastructure.BootstrapServers,
            ["ConnectionStrings:schema-registry"] = infrastructure.RegistryUrl,
            ["CoinGecko:BaseUrl"] = $"{sim.ListeningAddress()}api/v3",
            ["CoinGecko:RateLimitPerMinute"] = "1000",
            ["CoinGecko:RetryBaseDelay"] = "00:00:00.200",
            ["StateDir"] = stateDirectory,
            ["Logging:LogLevel:Default"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var spans = new ConcurrentList<Activity>();
        var ingest = IngestApp.Build(all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray(), builder =>
        {
            builder.Logging.AddFakeLogging();
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }

            configure?.Invoke(builder);
        });
        await ingest.StartAsync();
        return new IngestHarness(infrastructure, ownsInfrastructure, reuseSimulator is null, sim, ingest, stateDirectory, spans);
    }

    public Task SetFaultsAsync(SimulatorFaults faults) => SimulatorHttp.PutAsJsonAsync("/simulator/faults", faults);

    public async Task<SimulatorStats> SimulatorStatsAsync() =>
        (await SimulatorHttp.GetFromJsonAsync<SimulatorStats>("/simulator/stats"))!;

    public async Task<RunView> TriggerAsync(string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runs");
        if (idempotencyKey is not null)
        {
            request.Headers.Add(RunsApi.IdempotencyKeyHeader, idempotencyKey);
        }

        using var response = await Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunView>(IngestJson.Options))!;
    }

    /// <summary>Triggers a run and waits until it has finished.</summary>
    public async Task<RunView> RunAsync(string? idempotencyKey = null, TimeSpan? timeout = null) =>
        await WaitForAsync((await TriggerAsync(idempotencyKey)).RunId, timeout);

    public Task<RunView> WaitForAsync(string runId, TimeSpan? timeout = null) =>
        Eventually.GetAsync(async () => (await Http.GetFromJsonAsync<RunView>($"/runs/{runId}", IngestJson.Options))!,
            run => run.Status != "running", timeout ?? TimeSpan.FromSeconds(60), $"run {runId} to finish");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        SimulatorHttp.Dispose();
        await Ingest.StopAsync();
        await Ingest.DisposeAsync();
        if (_ownsSimulator)
        {
            await Simulator.StopAsync();
            await Simulator.DisposeAsync();
        }

        if (_ownsInfrastructure)
        {
            await Infrastructure.DisposeAsync();
        }
    }
}

internal static class IngestJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
