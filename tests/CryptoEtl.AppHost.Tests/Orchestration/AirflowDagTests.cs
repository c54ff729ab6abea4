using System.Text.RegularExpressions;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Orchestration;

/// <summary>
/// The Airflow DAG's own test-suite (stdlib Python: the shared schedule vectors, the task module over HTTP, the DAG
/// file with a stand-in airflow package), run from here so `dotnet test` and CI count it. No Airflow runs on this machine.
/// </summary>
public sealed partial class AirflowDagTests
{
    private static string AirflowDirectory => Path.Combine(RepositoryPaths.Root, "docker", "airflow");

    [Fact]
    public async Task The_DAG_test_suite_passes()
    {
        Assert.SkipUnless(File.Exists(ExternalTool.DebianPython), $"{ExternalTool.DebianPython} is not installed here.");

        var result = await ExternalTool.RunAsync(ExternalTool.DebianPython, ["-m", "unittest", "discover", "-s", Path.Combine(AirflowDirectory, "tests")],
            timeout: TimeSpan.FromMinutes(3), cancellation: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Error);
        var ran = int.Parse(RanLine().Match(result.Error).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ran >= 50, $"Only {ran} Python tests ran:\n{result.Error}");
        Assert.Matches(@"\nOK( \(skipped=\d+\))?\s*$", result.Error);
    }

    [Fact]
    public async Task The_DAG_files_compile()
    {
        Assert.SkipUnless(File.Exists(ExternalTool.DebianPython), $"{ExternalTool.DebianPython} is not installed here.");
        var dags = Directory.GetFiles(Path.Combine(AirflowDirectory, "dags"), "*.py");

        var result = await ExternalTool.RunAsync(ExternalTool.DebianPython, ["-m", "py_compile", .. dags], cancellation: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains(dags, d => d.EndsWith("crypto_etl.py", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"Ran (\d+) tests?")]
    private static partial Regex RanLine();
}
