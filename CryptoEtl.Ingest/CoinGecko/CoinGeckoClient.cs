using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Ingest.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>
/// Typed client for CoinGecko's /ping, /coins/markets and /simple/price. HTTP-level resilience (rate limit, retries with
/// Retry-After, timeouts, circuit breaker) sits in its handler pipeline; an answer that is not what CoinGecko promises
/// (not JSON, an error object with 200) is retried here, since only the body tells.
/// </summary>
public sealed class CoinGeckoClient
{
    /// <summary>The simulator marks every answer with this header.</summary>
    public const string SimulatorHeader = "X-CryptoEtl-Simulator";

    private readonly HttpClient _http;
    private readonly IngestTelemetry _telemetry;
    private readonly ResiliencePipeline _badBodyRetry;

    public CoinGeckoClient(HttpClient http, IOptions<CoinGeckoOptions> options, IngestTelemetry telemetry)
    {
        _http = http;
        _telemetry = telemetry;
        _badBodyRetry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<CoinGeckoResponseException>(),
                MaxRetryAttempts = Math.Min(options.Value.MaxRetries, 3),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.Value.RetryBaseDelay,
                OnRetry = _ =>
                {
                    _telemetry.Retries.Add(1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>True when the API answers /ping.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellation)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("ping", UriKind.Relative), cancellation);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return false;
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException)
        {
            return false;
        }
    }

    /// <summary>One page of /coins/markets in the settings' order, parsed by <paramref name="parse"/> (which may reject the body).</summary>
    public Task<T> GetMarketsPageAsync<T>(int page, CoinGeckoOptions settings, Func<byte[], DataSource, T> parse, CancellationToken cancellation)
    {
        var ids = settings.IdList;
        var query = $"coins/markets?vs_currency={Uri.EscapeDataString(settings.VsCurrency)}&order={settings.OrderParameter}&per_page={settings.PerPage}&page={page}"
            + "&sparkline=false&price_change_percentage=1h,24h,7d"
            + (ids.Count > 0 ? $"&ids={Uri.EscapeDataString(string.Join(',', ids))}" : "");
        return GetAsync($"markets page {page}", query, parse, cancellation);
    }

    private async Task<T> GetAsync<T>(string what, string relativeUri, Func<byte[], DataSource, T> parse, CancellationToken cancellation)
    {
        using var activity = IngestTelemetry.Source.StartActivity($"coingecko {what}", ActivityKind.Internal);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await _badBodyRetry.ExecuteAsync(async token =>
            {
                using var response = await _http.GetAsync(new Uri(relativeUri, UriKind.Relative), HttpCompletionOption.ResponseContentRead, token);
                var body = await response.Content.ReadAsByteArrayAsync(token);
                if (!response.IsSuccessStatusCode)
                {
                    throw new CoinGeckoApiException((int)response.StatusCode, Describe(body));
                }

                var source = response.Headers.Contains(SimulatorHeader) ? DataSource.Simulator : DataSource.CoinGecko;
                activity?.SetTag("cryptoetl.source", source.ToString());
                return parse(body, source);
            }, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            _telemetry.ApiDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("endpoint", what.Split(' ')[0]));
        }
    }

    private static string Describe(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return CoinGeckoErrorBody.Describe(document.RootElement);
        }
        catch (JsonException)
        {
            var text = System.Text.Encoding.UTF8.GetString(body);
            return text.Length > 200 ? text[..200] + "..." : text;
        }
    }
}

/// <summary>CoinGecko answered with an error status after every retry.</summary>
public sealed class CoinGeckoApiException(int status, string detail)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"CoinGecko answered {status}: {detail}"))
{
    public int Status { get; } = status;
}
