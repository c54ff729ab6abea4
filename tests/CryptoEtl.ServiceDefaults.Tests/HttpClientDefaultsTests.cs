using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class HttpClientDefaultsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_HttpClient_resolves_services_by_name_and_retries_transient_failures()
    {
        var calls = 0;
        await using var flaky = await TestApp.StartAsync(map: web => web.MapGet("/quote", () =>
            Interlocked.Increment(ref calls) <= 2 ? Results.StatusCode(503) : Results.Text("42")));

        await using var app = await TestApp.StartAsync(
            builder => builder.Services.AddHttpClient("quotes", c => c.BaseAddress = new Uri("http://flaky")),
            settings: new Dictionary<string, string?> { ["services:flaky:http:0"] = flaky.Address.ToString() });

        var client = app.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient("quotes");
        var answer = await client.GetStringAsync(new Uri("/quote", UriKind.Relative), Cancel);

        Assert.Equal("42", answer);
        Assert.Equal(3, calls);
    }
}
