using System.Net;
using System.Text;
using CryptoEtl.Contracts.Api;
using CryptoEtl.DevServices.Scheduler;

namespace CryptoEtl.DevServices.Tests.Scheduler;

/// <summary>The scheduler's check_freshness task over HTTP, against a stand-in for the Processor's freshness endpoint.</summary>
public sealed class FreshnessCheckTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fresh_data_passes_and_a_few_seconds_of_clock_skew_do_too()
    {
        var tasks = Tasks(Freshness(ticks: 12.5, candles: -3));

        await tasks.CheckFreshnessAsync(TimeSpan.FromSeconds(900), ["ticks", "candles"], Cancel);
    }

    [Theory]
    [InlineData(1234.4, "stale data: ticks is 1234s old (SLA 900s)")]
    [InlineData(-252_000_000_000.0, "stale data: ticks has its newest event 252000000000s in the future, which no real data has (SLA 900s)")]
    public async Task Old_data_and_data_from_the_future_are_not_fresh(double ticksAge, string message)
    {
        var tasks = Tasks(Freshness(ticks: ticksAge, candles: 40));

        var failure = await Assert.ThrowsAsync<PipelineTaskException>(() => tasks.CheckFreshnessAsync(TimeSpan.FromSeconds(900), ["ticks", "candles"], Cancel));

        Assert.Equal(message, failure.Message);
    }

    private static string Freshness(double ticks, double candles) => System.Text.Json.JsonSerializer.Serialize(new
    {
        checkedAt = "2026-12-01T00:00:00Z",
        stages = new
        {
            ticks = new { newestEventTime = "2026-12-01T00:00:00Z", ageSeconds = ticks },
            candles = new { newestEventTime = "2026-12-01T00:00:00Z", ageSeconds = candles },
        },
        consumerLag = new { },
    });

    private static HttpPipelineTasks Tasks(string freshness) =>
        new(new IngestClient(new HttpClient(new Answer(freshness)) { BaseAddress = new Uri("http://ingest.test/") }),
            new ProcessorClient(new HttpClient(new Answer(freshness)) { BaseAddress = new Uri("http://processor.test/") }), TimeProvider.System);

    private sealed class Answer(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri!.AbsolutePath == "/api/pipeline/freshness"
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
    }
}
