using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace CryptoEtl.TestSupport;

/// <summary>
/// One of our own programs started as a separate process (as users and the AppHost start them),
/// with its output captured line by line so a test can wait for what it prints.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _transcript = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Capture(e.Data);
        _process.ErrorDataReceived += (_, e) => Capture(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far (stdout and stderr interleaved).</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return string.Join('\n', _transcript);
            }
        }
    }

    /// <summary>Starts <c>dotnet &lt;assembly&gt; args</c> for an assembly next to the test's own output.</summary>
    /// <param name="ignoreInterrupt">Start it with SIGINT ignored, as `nohup` or `&amp;` in a script do (its children inherit that).</param>
    public static ChildProcess StartDotnet(string assemblyFileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null,
        bool ignoreInterrupt = false)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assemblyFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{assemblyFileName} is not in the test output; reference its project.", path);
        }

        var start = new ProcessStartInfo(ignoreInterrupt ? "bash" : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        if (ignoreInterrupt)
        {
            foreach (var wrapper in (string[])["-c", "trap '' INT; exec dotnet \"$@\"", "dotnet"])
            {
                start.ArgumentList.Add(wrapper);
            }
        }

        start.ArgumentList.Add(path);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {assemblyFileName}."));
    }

    /// <summary>Waits for a printed line matching <paramref name="pattern"/> and returns the match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var regex = new Regex(pattern);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(limit.Token);
                var match = regex.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"No line matched /{pattern}/ within {timeout} (exited: {_process.HasExited}). Output:\n{Transcript}");
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Asks the process to stop as Ctrl+C would (SIGINT on Linux).</summary>
    public void Interrupt()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>Asks the process to stop as a service manager does (SIGTERM).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>kill -9: no chance to flush or clean up.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The process did not exit within {timeout}. Output:\n{Transcript}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        KillHard();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_transcript)
        {
            _transcript.Add(line);
        }

        _lines.Writer.TryWrite(line);
    }
}
