using System.Diagnostics;
using CryptoEtl.DevServices.CoinGecko;

namespace CryptoEtl.Ingest.Tests;

/// <summary>The API key reaches CoinGecko in its header and nowhere else: not in logs, traces, errors or the ledger.</summary>
public sealed class ApiKeyRedactionTests
{
    private const string Key = "CG-TopSecretKey-4242";

    [Fact]
    public async Task The_key_is_sent_as_the_plan_header_and_never_logged_or_traced()
    {
        await using var harness = await IngestHarness.StartAsync(
            new SimulatorOptions { CoinCount = 10, RateLimitPerMinute = 0, RequiredApiKey = Key },
            new Dictionary<string, string> { ["CoinGecko:Plan"] = "Demo", ["CoinGecko:ApiKey"] = Key, ["Logging:LogLevel:Default"] = "Trace" });

        var run = await harness.RunAsync();

        Assert.Equal("succeeded", run.Status);
        Assert.Equal(0, (await harness.SimulatorStatsAsync()).Unauthorized);
        AssertNowhere(harness);
    }

    [Fact]
    public async Task A_refused_key_fails_the_run_without_revealing_it()
    {
        await using var harness = await IngestHarness.StartAsync(
            new SimulatorOptions { CoinCount = 10, RateLimitPerMinute = 0, RequiredApiKey = "CG-another-key" },
            new Dictionary<string, string> { ["CoinGecko:Plan"] = "Pro", ["CoinGecko:ApiKey"] = Key, ["Logging:LogLevel:Default"] = "Trace" });

        var run = await harness.RunAsync();

        Assert.Equal("failed", run.Status);
        Assert.Contains("401", run.Error, StringComparison.Ordinal);
        Assert.Contains("API Key Missing", run.Error, StringComparison.Ordinal);
        AssertNowhere(harness);
    }

    private static void AssertNowhere(IngestHarness harness)
    {
        var logs = harness.Logs.GetSnapshot();
        Assert.NotEmpty(logs);
        foreach (var record in logs)
        {
            Assert.DoesNotContain(Key, record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, record.Exception?.ToString() ?? "", StringComparison.Ordinal);
            Assert.False((record.StructuredState ?? []).Any(s => (s.Value ?? "").Contains(Key, StringComparison.Ordinal)), $"{record.Category} {record.Id} {record.Message}");
        }

        var spans = harness.Spans.Snapshot();
        Assert.NotEmpty(spans);
        foreach (var span in spans)
        {
            Assert.DoesNotContain(span.TagObjects, t => (t.Value?.ToString() ?? "").Contains(Key, StringComparison.Ordinal));
            Assert.DoesNotContain(Key, span.DisplayName, StringComparison.Ordinal);
            Assert.DoesNotContain(span.Events, e => e.Tags.Any(t => (t.Value?.ToString() ?? "").Contains(Key, StringComparison.Ordinal)));
        }

        foreach (var file in Directory.EnumerateFiles(harness.StateDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Key, File.ReadAllText(file), StringComparison.Ordinal);
        }
    }
}
