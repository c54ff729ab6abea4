using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>Request failures are ProblemDetails that name what was wrong, and no stack trace reaches the answer or a log line.</summary>
public sealed class RequestProblemsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/items?limit=abc", "limit must be a whole number (got \"abc\").")]
    [InlineData("/items?limit=2.5", "limit must be a whole number (got \"2.5\").")]
    [InlineData("/items?since=soon", "since must be a date and time such as 2024-01-01T00:00:00Z (got \"soon\").")]
    public async Task A_parameter_that_cannot_be_bound_gets_a_400_that_names_it(string path, string detail)
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(logs);

        using var response = await app.Http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(detail, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_failing_request_gets_a_500_problem_and_one_log_line_without_a_stack_trace()
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(logs);

        using var response = await app.Http.GetAsync(new Uri("/fail", UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.Equal("The request failed", JsonDocument.Parse(body).RootElement.GetProperty("title").GetString());
        Assert.DoesNotContain("secret-ish", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        var line = Assert.Single(logs.Entries.Snapshot(), e => e.Level >= LogLevel.Error);
        Assert.Equal("GET /fail failed: InvalidOperationException: broken on purpose (secret-ish detail)", line.Message);
        Assert.Null(line.Exception);
    }

    private static Task<TestApp> StartAsync(LogCollector logs) => TestApp.StartAsync(
        builder => builder.Logging.AddProvider(logs),
        app =>
        {
            app.UseExceptionHandler();
            app.MapGet("/items", (int? limit, DateTimeOffset? since) => Results.Ok(new { limit, since }));
            app.MapGet("/fail", string () => throw new InvalidOperationException("broken on purpose (secret-ish detail)"));
        });
}
