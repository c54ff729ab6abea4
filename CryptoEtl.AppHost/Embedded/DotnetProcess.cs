using System.Diagnostics;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>
/// How the AppHost starts a .NET program: `dotnet &lt;assembly&gt; args` with its output redirected, in a session of its
/// own where setsid exists (it execs in place, so the pid is the program's). A terminal's Ctrl+C signals its whole
/// foreground process group; in their own sessions the services do not get it, and the AppHost stops them in order.
/// </summary>
public static class DotnetProcess
{
    /// <summary>Whether programs start in a session (and process group) of their own, whose id is their pid.</summary>
    public static bool OwnSession { get; } = File.Exists("/usr/bin/setsid");

    public static ProcessStartInfo StartInfo(string assembly, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>> environment)
    {
        var start = new ProcessStartInfo(OwnSession ? "setsid" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in (string[])[.. OwnSession ? ["dotnet"] : (string[])[], assembly, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }
}
