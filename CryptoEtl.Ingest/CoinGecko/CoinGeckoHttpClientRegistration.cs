using System.Net;
using System.Threading.RateLimiting;
using CryptoEtl.Ingest.Telemetry;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.RateLimiting;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>
/// The CoinGecko HttpClient: the standard resilience handler's strategies (total timeout, retry with exponential backoff,
/// jitter and Retry-After, circuit breaker, attempt timeout) with the plan's rate limiter inside the retry, so that
/// retries spend permits too and a rate-limited API is never hammered.
/// </summary>
public static class CoinGeckoHttpClientRegistration
{
    public static IServiceCollection AddCoinGeckoClient(this IServiceCollection services)
    {
        services.AddValidatedOptions<CoinGeckoOptions, CoinGeckoOptionsValidator>(CoinGeckoOptions.Section)
            // Aspire style: an AppHost points the client at an API or simulator with ConnectionStrings:coingecko.
            .PostConfigure<IConfiguration>((options, configuration) =>
                options.BaseUrl ??= configuration.GetConnectionString("coingecko") is { Length: > 0 } url ? new Uri(url) : null);

        services.AddSingleton<CoinGeckoHttpLogger>();

        // One limiter per process: every call of every run shares the plan's budget.
        services.AddSingleton(sp => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = sp.GetRequiredService<IOptions<CoinGeckoOptions>>().Value.EffectiveRateLimit,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 12,
            QueueLimit = 10_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));

        // RemoveAllResilienceHandlers is marked experimental, but it is the supported way to replace the standard handler
        // that AddServiceDefaults gives every client.
#pragma warning disable EXTEXP0001
        services.AddHttpClient<CoinGeckoClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<CoinGeckoOptions>>().Value;
                var baseUrl = options.EffectiveBaseUrl.ToString();
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns every timeout
                http.DefaultRequestHeaders.UserAgent.ParseAdd("CryptoEtl/1.0");
                if (options.KeyHeader is { } header && !string.IsNullOrEmpty(options.ApiKey))
                {
                    http.DefaultRequestHeaders.Add(header, options.ApiKey);
                }
            })
            .RemoveAllLoggers()
            .AddLogger<CoinGeckoHttpLogger>()
            .RemoveAllResilienceHandlers()
            .AddResilienceHandler("coingecko", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<CoinGeckoOptions>>().Value;
                var telemetry = context.ServiceProvider.GetRequiredService<IngestTelemetry>();
                var logger = context.ServiceProvider.GetRequiredService<ILogger<CoinGeckoClient>>();
                var limiter = context.ServiceProvider.GetRequiredService<SlidingWindowRateLimiter>();

                pipeline
                    .AddTimeout(options.TotalTimeout)
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = Math.Max(options.MaxRetries, 1),
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = options.RetryBaseDelay,
                        MaxDelay = TimeSpan.FromMinutes(2),
                        ShouldRetryAfterHeader = true,
                        ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                        OnRetry = args =>
                        {
                            telemetry.Retries.Add(1);
                            if (args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests)
                            {
                                telemetry.RateLimited.Add(1);
                            }

                            logger.Retrying(args.AttemptNumber + 1, args.RetryDelay,
                                args.Outcome.Result is { } response ? $"HTTP {(int)response.StatusCode}" : args.Outcome.Exception?.GetType().Name ?? "?");
                            return ValueTask.CompletedTask;
                        },
                    })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        // A 429 means "slow down", not "broken": only errors and timeouts open the circuit.
                        ShouldHandle = args => ValueTask.FromResult(
                            args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                        FailureRatio = 0.8,
                        MinimumThroughput = 10,
                        SamplingDuration = TimeSpan.FromMinutes(1),
                        BreakDuration = TimeSpan.FromSeconds(30),
                    })
                    .AddRateLimiter(new RateLimiterStrategyOptions
                    {
                        RateLimiter = args => limiter.AcquireAsync(1, args.Context.CancellationToken),
                    })
                    .AddTimeout(options.AttemptTimeout);
            });
#pragma warning restore EXTEXP0001

        return services;
    }
}
