using System.Diagnostics;
using Microsoft.Extensions.Http.Logging;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>
/// Logs each CoinGecko request (method, URL, status, duration) without its headers. The default HttpClient loggers keep
/// every header value in the log state, where the API key would reach structured logs and OTLP even when redacted
/// from the message, so this client uses this logger instead.
/// </summary>
internal sealed partial class CoinGeckoHttpLogger(ILogger<CoinGeckoHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => Stopwatch.GetTimestamp();

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed) =>
        Completed(logger, request.Method.Method, request.RequestUri, (int)response.StatusCode, elapsed.TotalMilliseconds);

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        Failed(logger, request.Method.Method, request.RequestUri, exception.GetType().Name, elapsed.TotalMilliseconds);

    [LoggerMessage(1, LogLevel.Debug, "CoinGecko {Method} {Uri} answered {Status} in {ElapsedMs:0} ms")]
    private static partial void Completed(ILogger logger, string method, Uri? uri, int status, double elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "CoinGecko {Method} {Uri} failed ({Error}) after {ElapsedMs:0} ms")]
    private static partial void Failed(ILogger logger, string method, Uri? uri, string error, double elapsedMs);
}
