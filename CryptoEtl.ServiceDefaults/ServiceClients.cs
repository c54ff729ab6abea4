using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly.Timeout;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Calls between the pipeline's services: typed clients whose base address is the service's name, resolved by service
/// discovery (<c>http://ingest</c> → <c>services:ingest:http:0</c>, as Aspire passes it), with one resilience profile.
/// </summary>
public static class ServiceClients
{
    /// <summary>
    /// Registers <typeparamref name="TClient"/> (a class taking an <see cref="HttpClient"/>) for calls to
    /// <paramref name="serviceName"/>, or to <paramref name="address"/> when one is given.
    /// </summary>
    public static IHttpClientBuilder AddServiceClient<TClient>(this IServiceCollection services, string serviceName, Uri? address = null) where TClient : class =>
        services.AddHttpClient<TClient>(http => http.BaseAddress = WithSlash(address ?? new Uri($"http://{serviceName}")));

    /// <summary>
    /// The one profile of calls between the services (every client of the factory gets it, from ServiceDefaults): an
    /// attempt may take 10 s, a call 30 s; a failure to reach the service is tried twice more, 200 ms apart; the
    /// service's own answer (a 503 naming an outage, a 409) is passed on as it is, for the caller to act on; a
    /// service that stays unreachable stays an <see cref="HttpRequestException"/>, however often it is called.
    /// </summary>
    public static void ServiceCallProfile(HttpStandardResilienceOptions options)
    {
        options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
        options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(30);
        options.Retry.MaxRetryAttempts = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException);
        // No circuit breaker: after 100 failed calls in 30 s (a stopped service polled by the console) it would answer
        // with its own BrokenCircuitException, which callers that handle an unreachable service do not expect.
        options.CircuitBreaker.ShouldHandle = _ => ValueTask.FromResult(false);
    }

    /// <summary>
    /// Where service discovery finds <paramref name="serviceName"/> (<c>services:{name}:http:0</c>, as Aspire and the
    /// compose file pass it); null when it is not given, so a caller can say so instead of failing to resolve the name.
    /// </summary>
    public static Uri? Address(IConfiguration configuration, string serviceName) =>
        configuration[$"services:{serviceName}:http:0"] is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out var address) ? address : null;

    private static Uri WithSlash(Uri address) => address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
}
