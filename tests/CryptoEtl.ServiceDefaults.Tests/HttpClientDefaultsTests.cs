using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

    private sealed class QuoteClient(HttpClient http)
    {
        public HttpClient Http => http;
    }
}
