using Xunit;

namespace CryptoEtl.TestSupport;

/// <summary>Skips a test, with the reason, when this machine lacks something it needs; CI installs all of it.</summary>
public static class Requires
{
    public static void Tool(string tool, string debianPackage)
    {
        var missing = ExternalTool.Missing(tool, debianPackage);
        Assert.SkipWhen(missing is not null, missing ?? "");
    }

    /// <summary>Debian's python3 with the given modules (python3-avro, python3-requests, python3-confluent-kafka).</summary>
    public static void DebianPython(params string[] modules)
    {
        var probe = ExternalTool.RunAsync(ExternalTool.DebianPython, ["-c", string.Join(';', modules.Select(m => $"import {m}"))]);
        var ok = File.Exists(ExternalTool.DebianPython) && probe.GetAwaiter().GetResult().ExitCode == 0;
        Assert.SkipUnless(ok, $"Debian's python3 with {string.Join(", ", modules)} is not installed here "
            + "(apt-get install python3-avro python3-requests python3-confluent-kafka; .ci/run installs them).");
    }
}
