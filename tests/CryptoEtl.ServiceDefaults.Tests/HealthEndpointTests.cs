using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class HealthEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_and_alive_answer_healthy()
    {
        await using var app = await TestApp.StartAsync();

        var health = await app.Http.GetAsync(new Uri("/health", UriKind.Relative), Cancel);
        var alive = await app.Http.GetAsync(new Uri("/alive", UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task A_failing_readiness_check_fails_health_but_not_alive()
    {
        await using var app = await TestApp.StartAsync(builder =>
            builder.Services.AddHealthChecks().AddCheck("kafka", () => HealthCheckResult.Unhealthy("broker unreachable")));

        var health = await app.Http.GetAsync(new Uri("/health", UriKind.Relative), Cancel);
        var alive = await app.Http.GetAsync(new Uri("/alive", UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
