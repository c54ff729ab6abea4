using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// One of CryptoEtl's services run as its own process, as the embedded run does (<c>dotnet &lt;service&gt;.dll</c>, its
/// settings in the environment), on a port it picks itself: the address is read from the host's "Now listening on" line.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>The last lines the process printed, for an error message.</summary>
    public string Tail => string.Join(Environment.NewLine, _tail);

    /// <param name="name">The service, e.g. <c>CryptoEtl.Processor</c>: its assembly is next to the benchmark's.</param>
    public static async Task<ServiceProcess> StartAsync(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, $"{name}.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            },
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new ServiceProcess(name, Process.Start(start)!);
        DataReceivedEventHandler keep = (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            service._tail.Enqueue(line);
            while (service._tail.Count > TailLines)
            {
                service._tail.TryDequeue(out string? _);
            }

            if (Listening().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        service._process.OutputDataReceived += keep;
        service._process.ErrorDataReceived += keep;
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();

        var exited = service._process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(1)));
        if (first != listening.Task)
        {
            var why = first == exited ? $"exited with {service._process.ExitCode}" : "did not listen within a minute";
            var tail = service.Tail;
            service.Dispose();
            throw new InvalidOperationException($"{name} {why}:{Environment.NewLine}{tail}");
        }

        service.Url = await listening.Task;
        return service;
    }

    /// <summary>Throws with the process's last lines when it has stopped: a benchmark must not measure a dead service.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:{Environment.NewLine}{Tail}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
