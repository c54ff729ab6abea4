using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class HttpClientDefaultsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_HttpClient_resolves_services_by_name_retries_what_never_reached_the_service_and_passes_on_its_own_answer()
    {
        int dropped = 0, refused = 0;
        await using var flaky = await TestApp.StartAsync(map: web =>
        {
            // The first two connections break before an answer (a restarting service): the call is tried again.
            web.MapGet("/quote", (HttpContext context) =>
            {
                if (Interlocked.Increment(ref dropped) <= 2)
                {
                    context.Abort();
                    return Results.Empty;
                }

                return Results.Text("42");
            });
            // The service's own 503 (an outage it names) is its answer: passed on at once, not retried.
            web.MapGet("/outage", () =>
            {
                Interlocked.Increment(ref refused);
                return Results.Problem("the store is out", statusCode: 503);
            });
        });

        await using var app = await TestApp.StartAsync(
            builder => builder.Services.AddServiceClient<QuoteClient>("flaky"),
            settings: new Dictionary<string, string?> { ["services:flaky:http:0"] = flaky.Address.ToString() });

        var client = app.App.Services.GetRequiredService<QuoteClient>().Http;
        Assert.Equal(new Uri("http://flaky/"), client.BaseAddress);
        Assert.Equal("42", await client.GetStringAsync(new Uri("quote", UriKind.Relative), Cancel));
        Assert.Equal(3, dropped);

        using var outage = await client.GetAsync(new Uri("outage", UriKind.Relative), Cancel);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1), (outage.StatusCode, refused));
    }

    [Fact]
    public async Task A_service_that_cannot_be_reached_fails_the_call_after_two_more_tries_and_no_log_line_carries_a_stack_trace()
    {
        var logs = new LogCollector();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closed = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop(); // nothing listens there now: every connection is refused

        await using var app = await TestApp.StartAsync(builder =>
        {
            builder.Logging.AddProvider(logs);
            builder.Services.AddServiceClient<QuoteClient>("gone", closed);
        });

        var client = app.App.Services.GetRequiredService<QuoteClient>().Http;
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri("quote", UriKind.Relative), Cancel));
        // Called again and again (the console polls a stopped service), it is still unreachable, not a broken circuit.
        var again = await Task.WhenAll(Enumerable.Range(0, 150).Select(async _ =>
            (await Record.ExceptionAsync(() => client.GetStringAsync(new Uri("quote", UriKind.Relative), Cancel)))?.GetType()));
        Assert.All(again, type => Assert.Equal(typeof(HttpRequestException), type));

        // The tries are counted by the resilience metrics and traced by the HTTP client; the caller says the failure.
        Assert.DoesNotContain(logs.Entries.Snapshot(), entry => entry.Exception is not null);
    }

    private sealed class QuoteClient(HttpClient http)
    {
        public HttpClient Http => http;
    }
}
