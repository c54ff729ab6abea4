using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>A stage's health follows its batches: unhealthy when it is not running or its batches fail, with the error and for how long.</summary>
public sealed class StageHealthTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_stage_that_is_not_running_is_unhealthy()
    {
        var health = new StageHealth(_clock);

        Assert.Equal((HealthStatus.Unhealthy, "the stage is not running"), Describe(health.Check()));
    }

    [Fact]
    public void A_running_stage_is_healthy_until_its_batches_fail_and_again_once_one_goes_through()
    {
        var health = new StageHealth(_clock) { Running = true };
        Assert.Equal((HealthStatus.Healthy, "waiting for records"), Describe(health.Check()));

        health.Failed("Local: Message timed out");
        _clock.Advance(TimeSpan.FromSeconds(30));
        health.Failed("Broker: Message size too large");
        _clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal((HealthStatus.Unhealthy, "batches have failed for 42 s: Broker: Message size too large"), Describe(health.Check()));

        health.Succeeded();
        Assert.Equal((HealthStatus.Healthy, "last batch 2024-01-01T12:00:42.0000000+00:00"), Describe(health.Check()));
        Assert.Null(health.Error);

        health.Failed("again");
        Assert.Equal((HealthStatus.Unhealthy, "batches have failed for 0 s: again"), Describe(health.Check()));
    }

    private static (HealthStatus, string?) Describe(HealthCheckResult result) => (result.Status, result.Description);
}
