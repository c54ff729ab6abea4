using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>
/// Any web page the user visits could post a form to a service on loopback: every service refuses a state-changing
/// request a browser sends from another site, and takes the same request from its own pages and from non-browser clients.
/// </summary>
public sealed class CrossSiteRequestTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string, string?, string?, HttpStatusCode> Requests => new()
    {
        { "a script or a scheduler (no browser headers)", null, null, HttpStatusCode.Accepted },
        { "a form on another site (Origin)", "http://evil.example", null, HttpStatusCode.Forbidden },
        { "a form on another site (Sec-Fetch-Site)", null, "cross-site", HttpStatusCode.Forbidden },
        { "another port of the same host", "http://127.0.0.1:1", "same-site", HttpStatusCode.Forbidden },
        { "the service's own page", "self", "same-origin", HttpStatusCode.Accepted },
        { "the address bar", null, "none", HttpStatusCode.Accepted },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_state_changing_request_from_another_site_is_refused(string from, string? origin, string? fetchSite, HttpStatusCode expected)
    {
        _ = from;
        var started = 0;
        await using var app = await TestApp.StartAsync(map: a => a.MapPost("/runs", () =>
        {
            Interlocked.Increment(ref started);
            return Results.Accepted();
        }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = new FormUrlEncodedContent([]) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "self" ? app.Address.GetLeftPart(UriPartial.Authority) : origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        using var response = await app.Http.SendAsync(request, Cancel);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.Accepted ? 1 : 0, started);
        if (expected == HttpStatusCode.Forbidden)
        {
            Assert.Contains("Cross-site request refused", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Reading_from_another_site_is_not_a_change_and_is_answered()
    {
        await using var app = await TestApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("Origin", "http://evil.example");

        using var response = await app.Http.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
