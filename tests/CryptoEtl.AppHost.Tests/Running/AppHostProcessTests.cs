using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.AppHost.Running;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Running;

/// <summary>The AppHost as its own process, as `dotnet run --project CryptoEtl.AppHost` starts it: dashboard, telemetry, signals.</summary>
public sealed class AppHostProcessTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dashboard_shows_linked_traces_of_all_three_services_and_SIGTERM_stops_everything_with_SIGINT_ignored()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-process").FullName;
        // SIGINT ignored, as under nohup or `&` in a script: the AppHost and its children must still stop on SIGTERM.
        await using var host = AppHostProcess.Start(["--source", "simulator", "--state-dir", state, "--summary", Path.Combine(state, "summary.json")], ignoreInterrupt: true);
        var endpoints = await EndpointsAsync(host, state);
        var pipelineProcesses = ProcessesOf(host.Id);
        Assert.True(pipelineProcesses.Count >= 8, $"only {pipelineProcesses.Count} processes of this run found");

        // The dashboard's telemetry API: an ingest run's trace holds its CoinGecko call and its Kafka sends; the job's
        // batch spans link to the traces that produced their snapshots, the loader's to the job's.
        using var dashboard = new HttpClient { BaseAddress = new Uri(endpoints["dashboard"]), Timeout = TimeSpan.FromSeconds(30) };
        IReadOnlyList<Span> ingest;
        try
        {
            ingest = await Eventually.GetAsync(() => SpansAsync(dashboard, "ingest"), spans => spans.Any(s => s.Name == "ingest run")
                && spans.Any(s => s.Name.StartsWith("send ", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "an ingest run's trace in the dashboard");
        }
        catch (TimeoutException e)
        {
            var resources = await dashboard.GetStringAsync("/api/telemetry/resources", Cancel);
            throw new TimeoutException($"{e.Message}\nDashboard resources: {resources}\nAppHost output:\n{host.Transcript}", e);
        }

        var run = ingest.First(s => s.Name == "ingest run");
        Assert.Contains(ingest, s => s.TraceId == run.TraceId && s.Name.StartsWith("coingecko markets", StringComparison.Ordinal));
        Assert.Contains(ingest, s => s.TraceId == run.TraceId && s.Name == "send crypto.market.snapshots");
        var job = await Eventually.GetAsync(() => SpansAsync(dashboard, "sparkjob"), spans => spans.Any(s => s.Links.Contains(run.TraceId)),
            TimeSpan.FromSeconds(60), "a job batch linked to the ingest run");
        var batch = job.First(s => s.Links.Contains(run.TraceId));
        Assert.Equal("process crypto.market.snapshots", batch.Name);
        await Eventually.GetAsync(() => SpansAsync(dashboard, "processor"), spans => spans.Any(s => s.Name.StartsWith("process ", StringComparison.Ordinal) && s.Links.Contains(batch.TraceId)),
            TimeSpan.FromSeconds(60), "a loader batch linked to the job's batch");

        host.Terminate();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromMinutes(3)));

        var summary = JsonSerializer.Deserialize<RunSummary>(await File.ReadAllTextAsync(Path.Combine(state, "summary.json"), Cancel), Json)!;
        Assert.True(summary.Drain.Complete);
        Assert.Equal(summary.Counts.Topics["crypto.market.snapshots"], summary.Counts.Collections["ticks"]);
        Assert.Contains("Drained in", host.Transcript, StringComparison.Ordinal);
        // No process of the run outlives the AppHost: DCP, the stand-ins, the services (and their `dotnet run`s).
        await Eventually.TrueAsync(() => pipelineProcesses.All(p => !Alive(p)), TimeSpan.FromSeconds(30),
            $"every process of the run to be gone; left: {string.Join(", ", pipelineProcesses.Where(Alive))}");
    }

    /// <summary>
    /// Also, with the launch profile as users have it (no opt-out): the dashboard keeps Aspire's browser-token login, its
    /// link is in endpoints.json (readable by its owner only), and the telemetry API wants its key.
    /// </summary>
    [Fact]
    public async Task A_stop_that_cannot_drain_a_hung_consumer_says_what_is_left_and_exits_with_3()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-undrained").FullName;
        var environment = AppHostProcess.LaunchEnvironment();
        environment.Remove("ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS");
        await using var host = AppHostProcess.Start(["--source", "simulator", "--state-dir", state, "--drain-timeout", "3s", "--summary", Path.Combine(state, "summary.json")],
            environment: environment);
        var endpoints = await EndpointsAsync(host, state);
        Assert.StartsWith($"{endpoints["dashboard"]}/login?t=", endpoints[RunReport.DashboardLogin], StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state, RunReport.EndpointsFile)));
        }
        using (var anonymous = new HttpClient { BaseAddress = new Uri(endpoints["dashboard"]), Timeout = TimeSpan.FromSeconds(30) })
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/telemetry/resources", UriKind.Relative), Cancel)).StatusCode);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.GetAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(endpoints["processor"]), "/api/pipeline/stats"), Cancel)).GetProperty("documents").GetProperty("ticks").GetInt64(),
            ticks => ticks > 0, TimeSpan.FromMinutes(2), "ticks in the store");

        // The loader hangs (SIGSTOP: it neither works nor answers), so the stop cannot know its group has caught up.
        var loader = Assert.Single(ProcessesOf(host.Id), pid => ServiceProcess(pid, "CryptoEtl.Processor"));
        Signal("STOP", loader);
        try
        {
            host.Terminate();
            await host.WaitForLineAsync("Gave up draining after 3 s; acknowledged records left unprocessed: processor: lag unknown", TimeSpan.FromMinutes(1), Cancel);
        }
        finally
        {
            Signal("CONT", loader);
        }

        Assert.Equal(OrderedShutdown.UndrainedExitCode, await host.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        var summary = JsonSerializer.Deserialize<RunSummary>(await File.ReadAllTextAsync(Path.Combine(state, "summary.json"), Cancel), Json)!;
        Assert.False(summary.Drain.Complete);
        Assert.Equal(new Dictionary<string, long?> { ["processor"] = null }, summary.Drain.Remaining);
    }

    [Fact]
    public async Task Without_Docker_the_containers_mode_says_so_in_one_line_and_exits_non_zero()
    {
        Assert.SkipWhen(await DockerEngineRunsAsync(), "A Docker engine runs here, so the no-Docker behaviour cannot be observed.");

        var result = await AppHostProcess.RunAsync(["--mode", "containers", "--state-dir", Directory.CreateTempSubdirectory("cryptoetl-containers").FullName]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Output.Split('\n'), l => l.Contains("Docker", StringComparison.Ordinal));
        Assert.StartsWith("Docker is not available here, and --mode containers needs a running Docker engine", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_Docker_the_containers_mode_moves_data_into_MongoDB()
    {
        Assert.SkipUnless(await DockerEngineRunsAsync(),
            "No Docker engine runs here (only the docker CLI is installed), so the containers mode cannot start; this test runs where Docker does.");
        var state = Directory.CreateTempSubdirectory("cryptoetl-containers").FullName;
        await using var host = AppHostProcess.Start(["--mode", "containers", "--state-dir", state, "--Parameters:postgres-password", "test-only"]);
        var endpoints = await EndpointsAsync(host, state, TimeSpan.FromMinutes(15));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        using var run = await http.PostAsync(new Uri(new Uri(endpoints["ingest"]), "/runs"), null, Cancel);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, run.StatusCode);
        await Eventually.GetAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(endpoints["processor"]), "/api/pipeline/stats"), Cancel)).GetProperty("documents").GetProperty("ticks").GetInt64(),
            ticks => ticks > 0, TimeSpan.FromMinutes(5), "ticks in MongoDB");
        host.Terminate();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromMinutes(3)));
    }

    /// <summary>
    /// A bad setting passed down to a service (as an operator sets it on the AppHost): the service says why in one line
    /// and exits 1, the AppHost prints that line within seconds, keeps restarting with backoff, calls it a crash loop,
    /// counts it in the status line, and a run that ends so exits 4, with no stack trace anywhere. A second AppHost
    /// meanwhile is refused in one line naming the port and the first one. A dead run's endpoints.json is gone at start.
    /// </summary>
    [Fact]
    public async Task A_failing_resource_speaks_a_crash_loop_is_named_a_second_AppHost_is_refused_and_the_run_exits_4()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-failing").FullName;
        var stale = Path.Combine(state, RunReport.EndpointsFile);
        await File.WriteAllTextAsync(stale, """{"kafka":"127.0.0.1:1"}""", Cancel);
        var environment = AppHostProcess.LaunchEnvironment();
        await using var host = AppHostProcess.Start(["--source", "simulator", "--state-dir", state],
            environment: new Dictionary<string, string>(environment) { ["Loader__MaxBatchSize"] = "0" });

        await Eventually.TrueAsync(() => !File.Exists(stale) || host.HasExited, TimeSpan.FromSeconds(60), "the dead run's endpoints.json to be removed");
        var started = System.Diagnostics.Stopwatch.StartNew();
        await host.WaitForLineAsync(Regex.Escape("processor exited with code 1: CryptoEtl.Processor cannot start: Loader:MaxBatchSize must be between 1 and 1000000 (got 0)."),
            TimeSpan.FromMinutes(2), Cancel);
        TestContext.Current.SendDiagnosticMessage($"The processor's error was printed {started.Elapsed.TotalSeconds:0.0} s after the old endpoints.json was gone.");
        await host.WaitForLineAsync(Regex.Escape("processor is in a crash loop: it exited with code 1: CryptoEtl.Processor cannot start:"), TimeSpan.FromMinutes(2), Cancel);
        await host.WaitForLineAsync(Regex.Escape("processor crash loop: CryptoEtl.Processor cannot start:"), TimeSpan.FromSeconds(30), Cancel); // the status line

        var second = await AppHostProcess.RunAsync(["--source", "simulator", "--state-dir", Directory.CreateTempSubdirectory("cryptoetl-second").FullName], environment);
        Assert.Equal(2, second.ExitCode);
        var port = new Uri(environment["ASPNETCORE_URLS"]).Port;
        Assert.StartsWith($"Port {port} (the dashboard, ASPNETCORE_URLS) is in use by process ", second.Output.Trim(), StringComparison.Ordinal);
        Assert.Single(second.Output.Trim().Split('\n'));

        host.Terminate();
        Assert.Equal(OrderedShutdown.FailedResourceExitCode, await host.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("The run ends with failing resources: processor: crash loop after", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", host.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_directory_that_cannot_be_written_is_said_in_one_line_before_anything_starts()
    {
        var result = await AppHostProcess.RunAsync(["--state-dir", "/proc/1/nope"]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("--state-dir '/proc/1/nope' cannot be written (", result.Output.Trim(), StringComparison.Ordinal);
        Assert.Single(result.Output.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--mode", "cloud", "--mode 'cloud' is not a run mode: use embedded (the default) or containers.")]
    [InlineData("--source", "binance", "--source 'binance' is not a data source: use auto (the default), coingecko or simulator.")]
    [InlineData("--run-for", "soon", "--run-for 'soon' is not a positive duration; write e.g. 90s, 5m, 1h or 00:01:30.")]
    [InlineData("--coins", "all", "--coins 'all' is not a number of coins: use 1 to 100000 (CoinGecko lists about 17,000; 20000 takes the whole market).")]
    public async Task A_bad_option_is_named_in_one_line_and_exits_with_2(string option, string value, string message)
    {
        var result = await AppHostProcess.RunAsync([option, value]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(message, result.Output.Trim());
    }

    private sealed record Span(string TraceId, string Name, IReadOnlyList<string> Links);

    private static async Task<IReadOnlyDictionary<string, string>> EndpointsAsync(ChildProcess host, string state, TimeSpan? timeout = null)
    {
        var path = Path.Combine(state, RunReport.EndpointsFile);
        await Eventually.TrueAsync(() => File.Exists(path) || host.HasExited, timeout ?? TimeSpan.FromMinutes(3), "endpoints.json");
        Assert.False(host.HasExited, host.Transcript);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(path, Cancel))!;
    }

    /// <summary>The spans a resource sent to the dashboard (GET /api/telemetry/spans, OTLP JSON; the newest 200 unless a limit is given).</summary>
    private static async Task<IReadOnlyList<Span>> SpansAsync(HttpClient dashboard, string resource)
    {
        var body = await dashboard.GetFromJsonAsync<JsonElement>($"/api/telemetry/spans?resource={resource}&limit=100000", Cancel);
        return [.. body.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
            .Where(r => r.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Any(a => a.GetProperty("key").GetString() == "service.name" && a.GetProperty("value").GetProperty("stringValue").GetString() == resource))
            .SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray()).SelectMany(s => s.GetProperty("spans").EnumerateArray())
            .Select(s => new Span(s.GetProperty("traceId").GetString()!, s.GetProperty("name").GetString()!,
                s.TryGetProperty("links", out var links) ? [.. links.EnumerateArray().Select(l => l.GetProperty("traceId").GetString()!)] : []))];
    }

    /// <summary>
    /// The AppHost, the DCP it started (detached, so not its child, but watching it: <c>--monitor &lt;pid&gt;</c>) and
    /// every descendant of either: the stand-ins, the services and their `dotnet run`s.
    /// </summary>
    private static List<int> ProcessesOf(int host)
    {
        var parents = new Dictionary<int, int>();
        var roots = new List<int> { host };
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0).Where(p => p > 0))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains($"--monitor {host} ", StringComparison.Ordinal))
                {
                    roots.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }

        var tree = new List<int>(roots);
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i] && !tree.Contains(p.Key)).Select(p => p.Key));
        }

        return tree;
    }

    /// <summary>Whether the process runs the service itself (not the `dotnet run` that started it).</summary>
    private static bool ServiceProcess(int pid, string service)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments[0].EndsWith($"/{service}", StringComparison.Ordinal) || arguments.Any(a => a.EndsWith($"/{service}.dll", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static async Task<bool> DockerEngineRunsAsync() =>
        ExternalTool.FindOnPath("docker") is not null && (await ExternalTool.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: TimeSpan.FromSeconds(20))).ExitCode == 0;
}
