using CryptoEtl.TestSupport;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// One of CryptoEtl's services run as its own process, as the embedded run does (<c>dotnet &lt;service&gt;.dll</c>, its
/// settings in the environment), on a port it picks itself: the address is read from the host's "Now listening on" line.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServiceProcess(string name, ChildProcess process, Uri url) => (Name, _process, Url) = (name, process, url);

    public string Name { get; }

    public Uri Url { get; }

    /// <param name="name">The service, e.g. <c>CryptoEtl.Processor</c>: its assembly is next to the benchmark's.</param>
    public static async Task<ServiceProcess> StartAsync(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var settings = new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        var process = ChildProcess.StartDotnet($"{name}.dll", arguments, settings);
        try
        {
            var listening = await process.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromMinutes(1));
            return new ServiceProcess(name, process, new Uri(listening.Groups[1].Value));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Throws with what the process printed when it has stopped: a benchmark must not measure a dead service.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:{Environment.NewLine}{_process.Transcript}");
        }
    }

    /// <summary>Everything the process printed so far.</summary>
    public string Transcript => _process.Transcript;

    /// <summary>The process's resident memory now and at its peak (VmRSS and VmHWM in /proc/&lt;pid&gt;/status), in MB.</summary>
    public (double Now, double Peak) ResidentMegabytes()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        double Field(string name) => long.Parse(status.Single(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0],
            System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return (Field("VmRSS:"), Field("VmHWM:"));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
