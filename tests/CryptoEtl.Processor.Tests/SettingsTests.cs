using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Tests;

/// <summary>The Processor refuses to start with bad settings, naming each (the generated validators, checked at start-up).</summary>
public sealed class SettingsTests
{
    [Fact]
    public async Task Bad_settings_stop_the_service_at_start_up_with_every_problem_named()
    {
        await using var app = ProcessorApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--ConnectionStrings:kafka=127.0.0.1:1",
            "--ConnectionStrings:schema-registry=http://127.0.0.1:1",
            $"--StateDir={Directory.CreateTempSubdirectory("processor-settings").FullName}",
            "--Loader:MaxRetryDelay=00:05:00",
            "--Loader:MaxBatchSize=0",
            "--Store:WriteConcern=0",
            "--Logging:LogLevel:Default=None",
        ]);

        // One OptionsValidationException per settings class, together in an AggregateException.
        var refused = await Assert.ThrowsAsync<AggregateException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        var problems = refused.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList();

        Assert.Equal(
        [
            "Loader:MaxBatchSize must be between 1 and 1000000 (got 0).",
            "Loader:MaxRetryDelay must be between 0 and 2 minutes (got 00:05:00).",
            "Store:WriteConcern must be 'majority' or a number of members of at least 1 (got '0'); unacknowledged writes would let offsets be committed for data that is not stored.",
        ], problems.Order(StringComparer.Ordinal));
    }
}
