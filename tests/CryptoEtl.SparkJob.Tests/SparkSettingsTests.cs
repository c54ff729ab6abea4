using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>The Spark engine's settings at start-up: the address from the AppHost's connection string, and what its plans cannot express.</summary>
public sealed class SparkSettingsTests
{
    [Fact]
    public async Task The_spark_engine_takes_its_address_from_the_connection_string_and_refuses_intervals_its_plans_cannot_express()
    {
        await using var app = SparkJobApp.BuildSpark(
        [
            "--urls=http://127.0.0.1:0",
            "--ConnectionStrings:spark=sc://127.0.0.1:15002",
            "--ConnectionStrings:schema-registry=http://127.0.0.1:1",
            "--Transform:Intervals=2m,5m",
            "--Logging:LogLevel:Default=None",
        ], stopOnExit: false);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(["Transform:Intervals: the Spark engine needs every interval to divide the longest (5m); 2m does not."], refused.Failures);
        Assert.Equal("sc://127.0.0.1:15002", app.Services.GetRequiredService<IOptions<CryptoEtl.SparkJob.SparkConnect.SparkOptions>>().Value.Remote);
    }
}
