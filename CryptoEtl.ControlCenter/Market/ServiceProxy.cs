using System.Text.RegularExpressions;
using OpenTelemetry;

namespace CryptoEtl.ControlCenter.Market;

/// <summary>
/// The page reads the services' APIs through the console (same origin, no CORS): a fixed set of read-only paths,
/// forwarded with their query strings to the service by its name (service discovery: services__&lt;name&gt;__http__0);
/// the service's answer (its ProblemDetails included) comes back as it is.
/// </summary>
public static partial class ServiceProxy
{
    /// <summary>
    /// Console path → service and its path: the market data, the pipeline's freshness, and the runs; and, for a paged
    /// answer, the service's path prefix that its <c>Link</c> header's pages are given under the console's.
    /// </summary>
    private static readonly (Regex Path, string Service, Func<Match, string> Target, (string Service, string Console)? Pages)[] Routes =
    [
        (MarketPath(), "processor", m => $"/api/{m.Groups[1].Value}", ("</api/", "</api/market/")),
        (IngestRuns(), "ingest", _ => "/runs", null),
        (DagRuns(), "airflow", _ => "/scheduler/runs", null),
    ];

    /// <summary>How long a forwarded call may take: the page polls, and says soon that a service does not answer.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>GET /api/market/{coins|coins/{id}|coins/{id}/candles|alerts|pipeline/freshness}, /api/runs/ingest, /api/runs/dag.</summary>
    public static void MapServiceProxy(this WebApplication app)
    {
        app.MapGet("/api/market/{**path}", (HttpContext context, IConfiguration configuration, IHttpClientFactory clients, CancellationToken cancellation) =>
            ForwardAsync(context, configuration, clients, cancellation)).WithSummary("The Processor's read API: coins, candles, alerts, freshness");
        app.MapGet("/api/runs/{source}", (HttpContext context, IConfiguration configuration, IHttpClientFactory clients, CancellationToken cancellation) =>
            ForwardAsync(context, configuration, clients, cancellation)).WithSummary("Ingest's runs (ingest) or the scheduler's DAG runs (dag)");
    }

    private static async Task<IResult> ForwardAsync(HttpContext context, IConfiguration configuration, IHttpClientFactory clients, CancellationToken cancellation)
    {
        var path = context.Request.Path.Value ?? "";
        foreach (var (pattern, service, target, pages) in Routes)
        {
            if (pattern.Match(path) is not { Success: true } match)
            {
                continue;
            }

            if (ServiceClients.Address(configuration, service) is null)
            {
                return Results.Problem($"The console does not know where {service} is (services__{service}__http__0 is not set).", statusCode: StatusCodes.Status503ServiceUnavailable, title: $"No {service}");
            }

            using var untraced = SuppressInstrumentationScope.Begin(); // the page polls: not worth a trace each time
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            patience.CancelAfter(Patience);
            try
            {
                using var response = await clients.CreateClient().GetAsync(new Uri($"http://{service}{target(match)}{context.Request.QueryString}"), patience.Token);
                var body = await response.Content.ReadAsStringAsync(patience.Token);
                if (pages is { } prefix && response.Headers.TryGetValues("Link", out var links))
                {
                    context.Response.Headers.Link = links.Select(link => link.Replace(prefix.Service, prefix.Console, StringComparison.Ordinal)).ToArray();
                }

                return Results.Content(body, response.Content.Headers.ContentType?.ToString() ?? "application/json", statusCode: (int)response.StatusCode);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellation.IsCancellationRequested)
            {
                return Results.Problem($"{service} does not answer.", statusCode: StatusCodes.Status502BadGateway, title: $"{service} unreachable");
            }
        }

        return Results.Problem($"The console does not forward {Echo.Cut(path)}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown path");
    }

    [GeneratedRegex("^/api/market/(coins|coins/[a-z0-9._-]{1,100}|coins/[a-z0-9._-]{1,100}/candles|alerts|pipeline/freshness)$")]
    private static partial Regex MarketPath();

    [GeneratedRegex("^/api/runs/ingest$")]
    private static partial Regex IngestRuns();

    [GeneratedRegex("^/api/runs/dag$")]
    private static partial Regex DagRuns();
}
