using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// What `dotnet run` checks before anything starts, so that a run that cannot work says so in one line (exit code 2)
/// instead of starting half-way: the state directory can be written, and the ports of the dashboard, its OTLP endpoint
/// and the resource service are free (a second AppHost on the same machine would otherwise end in stack traces).
/// </summary>
public static class Preflight
{
    /// <summary>The settings whose URLs the AppHost's own listeners take, and what each is.</summary>
    private static readonly (string Setting, string What)[] Listeners =
    [
        ("ASPNETCORE_URLS", "the dashboard"),
        ("ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "the dashboard's OTLP endpoint"),
        ("ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL", "the resource service"),
    ];

    public static string? Problem(IConfiguration configuration, PipelineRunOptions run) => StateDirectoryProblem(run.StateDirectory) ?? PortProblem(configuration);

    public static string? StateDirectoryProblem(string directory)
    {
        var probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return $"--state-dir '{directory}' cannot be written ({e.Message}): give a directory this user can write.";
        }
    }

    public static string? PortProblem(IConfiguration configuration)
    {
        foreach (var (setting, what) in Listeners)
        {
            if (configuration[setting]?.Split(';')[0] is not { Length: > 0 } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port == 0)
            {
                continue;
            }

            if (InUse(uri.Port))
            {
                var owner = Owner(uri.Port) is { } process ? $"by process {process}" : "by another process";
                return $"Port {uri.Port} ({what}, {setting}) is in use {owner}: another AppHost may be running. Stop it, or give this run other ports.";
            }
        }

        return null;
    }

    private static bool InUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }

    /// <summary>The id and command line of the process listening on a port, from /proc (Linux); null where that cannot be read.</summary>
    private static string? Owner(int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
            var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines).Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 9 && f[1].EndsWith($":{hexPort}", StringComparison.Ordinal) && f[3] == "0A") // 0A: listening
                .Select(f => $"socket:[{f[9]}]").ToHashSet(StringComparer.Ordinal);
            foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    if (Directory.EnumerateFiles(Path.Combine(process, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
                    {
                        var commandLine = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ').Trim();
                        return $"{Path.GetFileName(process)} ({(commandLine.Length > 120 ? commandLine[..120] + "…" : commandLine)})";
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A process that ended meanwhile, or one we may not look into.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
