using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CryptoEtl.AppHost.Embedded;

namespace CryptoEtl.AppHost.Testing;

/// <summary>
/// Testing support in the spirit of Aspire.Hosting.Testing: starts the whole embedded app model (the AppHost process,
/// as `dotnet run` would), waits until every resource is healthy, hands out HttpClients and addresses for named
/// resources, can kill a resource's process (kill -9) to test recovery, and stops everything as Ctrl+C does.
/// </summary>
public sealed class TestingAppHost : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string[] Services = ["ingest", "sparkjob", "processor", "scheduler"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<HttpClient> _clients = [];

    private TestingAppHost(Process process, string stateDirectory)
    {
        _process = process;
        StateDirectory = stateDirectory;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string StateDirectory { get; }

    public string SummaryPath => Path.Combine(StateDirectory, "summary.json");

    /// <summary>Resource name to address, from &lt;state-dir&gt;/endpoints.json.</summary>
    public IReadOnlyDictionary<string, string> Endpoints { get; private set; } = new Dictionary<string, string>();

    /// <summary>What the AppHost printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <param name="arguments">More AppHost arguments (defaults: --source simulator --plain --state-dir &lt;temp&gt; --summary).</param>
    /// <param name="environment">Extra environment for the AppHost (and through it the services), e.g. ConnectionStrings__postgres.</param>
    public static async Task<TestingAppHost> StartAsync(IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null,
        string? stateDirectory = null, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        stateDirectory ??= Directory.CreateTempSubdirectory("cryptoetl-apphost").FullName;
        // In its own process group (DotnetProcess), so StopAsync can press Ctrl+C the way a terminal does.
        var start = DotnetProcess.StartInfo(Path.Combine(AppContext.BaseDirectory, "CryptoEtl.AppHost.dll"),
            ["--source", "simulator", "--plain", "--state-dir", stateDirectory, "--summary", Path.Combine(stateDirectory, "summary.json"), .. arguments ?? []],
            environment ?? new Dictionary<string, string>());

        var host = new TestingAppHost(Process.Start(start) ?? throw new InvalidOperationException("Could not start the AppHost."), stateDirectory);
        try
        {
            await host.WaitUntilHealthyAsync(timeout ?? TimeSpan.FromMinutes(3), cancellation);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HttpClient whose base address is the named resource (ingest, processor, scheduler, control-center, ...).</summary>
    public HttpClient CreateHttpClient(string resource)
    {
        var client = new HttpClient { BaseAddress = new Uri(Endpoints[resource]), Timeout = TimeSpan.FromSeconds(30) };
        _clients.Add(client);
        return client;
    }

    /// <summary>Each resource's state, restarts and process id, from &lt;state-dir&gt;/resources.json.</summary>
    public IReadOnlyList<ResourceStatus> Resources()
    {
        var path = Path.Combine(StateDirectory, "resources.json");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return JsonSerializer.Deserialize<List<ResourceStatus>>(File.ReadAllText(path), Json) ?? [];
            }
            catch (Exception e) when (e is IOException or JsonException && attempt < 20)
            {
                Thread.Sleep(100); // not written yet, or being replaced
            }
        }
    }

    /// <summary>kill -9 the named resource's process (the AppHost then restarts it).</summary>
    public int Kill(string resource)
    {
        var pid = Resources().Single(r => r.Name == resource).ProcessId ?? throw new InvalidOperationException($"{resource} has no running process.");
        using var killed = Process.GetProcessById(pid);
        killed.Kill(entireProcessTree: true);
        return pid;
    }

    public string Log(string resource) => File.ReadAllText(Path.Combine(StateDirectory, "logs", $"{resource}.log"));

    /// <summary>Ctrl+C (SIGINT to the AppHost's process group, as a terminal sends it): returns the exit code once it has stopped everything.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            var target = DotnetProcess.OwnSession ? $"-{_process.Id}" : _process.Id.ToString(CultureInfo.InvariantCulture);
            using var interrupt = Process.Start("kill", ["-INT", "--", target]);
            await interrupt.WaitForExitAsync();
            using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
            await _process.WaitForExitAsync(limit.Token);
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromMinutes(2));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var endpoints = Path.Combine(StateDirectory, "endpoints.json");
        var deadline = DateTime.UtcNow + timeout;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {_process.ExitCode} before it was ready:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The AppHost was not ready within {timeout}:\n{Output}");
            }

            if (File.Exists(endpoints) && await AllHealthyAsync(endpoints, http, cancellation))
            {
                return;
            }

            await Task.Delay(250, cancellation);
        }
    }

    private async Task<bool> AllHealthyAsync(string endpoints, HttpClient http, CancellationToken cancellation)
    {
        try
        {
            Endpoints = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints, cancellation))!;
            foreach (var service in Services)
            {
                using var response = await http.GetAsync(new Uri(new Uri(Endpoints[service]), "/health"), cancellation);
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is IOException or JsonException or HttpRequestException or KeyNotFoundException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>One line of resources.json.</summary>
public sealed record ResourceStatus(string Name, string Realisation, string State, int Restarts, string? Endpoint, int? ProcessId);
