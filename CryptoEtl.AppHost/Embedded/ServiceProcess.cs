using System.Diagnostics;
using System.Globalization;

namespace CryptoEtl.AppHost.Embedded;

public enum ResourceState
{
    Starting,
    Running,
    Unhealthy,
    Restarting,
    Stopping,
    Stopped,
}

/// <summary>
/// One of the solution's services as a child process: started with its Aspire-style environment, its output appended
/// to its log file, restarted with backoff when it dies (the restart is counted and shown), stopped with SIGINT so it
/// can flush, and killed only if it does not stop in time.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly string _assembly;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly FileLogSink _log;
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task? _supervisor;

    public ServiceProcess(string name, string assembly, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, Uri url, FileLogSink log)
    {
        Name = name;
        _assembly = assembly;
        _arguments = arguments;
        _environment = environment;
        Url = url;
        _log = log;
    }

    public string Name { get; }

    public Uri Url { get; }

    public ResourceState State { get; private set; } = ResourceState.Starting;

    public int Restarts { get; private set; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public string LogFile => _log.FilePath;

    public void Start() => _supervisor = Task.Run(SuperviseAsync);

    /// <summary>Polls /health until the service answers healthy.</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/health"), cancellation);
                if (response.IsSuccessStatusCode)
                {
                    State = ResourceState.Running;
                    return;
                }

                State = ResourceState.Unhealthy;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not become healthy within {timeout}; see {LogFile}.");
            }

            await Task.Delay(250, cancellation);
        }
    }

    /// <summary>SIGINT, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        State = ResourceState.Stopping;
        await _stopping.CancelAsync();
        if (_process is { HasExited: false } process)
        {
            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync();
            }

            using var limit = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                _log.Write($"{DateTimeOffset.UtcNow:O} AppHost: {Name} did not stop within {grace}; killing it");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        if (_supervisor is not null)
        {
            await _supervisor;
        }

        State = ResourceState.Stopped;
    }

    /// <summary>kill -9, for tests of the restart.</summary>
    public void KillHard() => _process?.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (State is not ResourceState.Stopped)
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }

        _stopping.Dispose();
    }

    private async Task SuperviseAsync()
    {
        var failures = 0;
        while (!_stopping.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            _process = Launch();
            await _process.WaitForExitAsync(CancellationToken.None);
            var code = _process.ExitCode;
            if (_stopping.IsCancellationRequested)
            {
                _log.Write($"{DateTimeOffset.UtcNow:O} AppHost: {Name} stopped (exit code {code})");
                return;
            }

            // A process that ran a while before dying starts its backoff afresh.
            failures = DateTime.UtcNow - started > TimeSpan.FromMinutes(1) ? 1 : failures + 1;
            var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, failures - 1)));
            Restarts++;
            State = ResourceState.Restarting;
            _log.Write($"{DateTimeOffset.UtcNow:O} AppHost: {Name} exited with code {code}; restart {Restarts} in {backoff.TotalSeconds:0}s");
            try
            {
                await Task.Delay(backoff, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            State = ResourceState.Starting;
            _ = WaitUntilHealthyAsync(TimeSpan.FromMinutes(2), _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private Process Launch()
    {
        var process = Process.Start(DotnetProcess.StartInfo(_assembly, _arguments, _environment)) ?? throw new InvalidOperationException($"Could not start {Name}.");
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _log.Write($"{DateTimeOffset.UtcNow:O} AppHost: started {Name} (pid {process.Id}) at {Url}");
        return process;
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            _log.Write(line);
        }
    }
}
