using System.Text.RegularExpressions;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Processor.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoEtl.Processor.Api;

/// <summary>The read API over the stored data, with enforced paging limits and ProblemDetails errors.</summary>
public static partial class ReadApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static void MapReadApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Market data");

        api.MapGet("/coins", async Task<Results<Ok<CoinView[]>, ValidationProblem>> (int? limit, string? after, HttpResponse response, IMarketStore store, MarketCapTotal total,
            CancellationToken cancellation) =>
        {
            var afterKey = after is null ? null : CoinCursor.Decode(after);
            if (Invalid(("limit", PageLimit.Check(limit, MaxLimit)), ("after", after is not null && afterKey is null ? "after must be the cursor of a page's Link header." : null)) is { } invalid)
            {
                return invalid;
            }

            var size = limit ?? DefaultLimit;
            var page = await store.LatestPageAsync(afterKey, size + 1, cancellation); // one more: is there a next page?
            if (page.Count > size)
            {
                response.Headers.Link = $"</api/coins?limit={size}&after={CoinCursor.Encode(StoreDocuments.CoinPageKey(page[size - 1]))}>; rel=\"next\"";
            }

            var marketCap = await total.GetAsync(cancellation);
            return TypedResults.Ok(page.Take(size).Select(t => CoinView.Of(t, marketCap)).ToArray());
        }).WithSummary("The coins' latest quotes by market cap, a page at a time (default 100; the next page's address is in the Link header), with each coin's share of the total market cap of the coins stored (summed at most a second ago)");

        api.MapGet("/coins/{id}", async Task<Results<Ok<CoinView>, ProblemHttpResult, ValidationProblem>> (string id, IMarketStore store, MarketCapTotal total, CancellationToken cancellation) =>
        {
            if (Invalid(("id", CheckCoinId(id))) is { } invalid)
            {
                return invalid;
            }

            if (await store.LatestAsync(id, cancellation) is not { } tick)
            {
                return UnknownCoin(id);
            }

            return TypedResults.Ok(CoinView.Of(tick, await total.GetAsync(cancellation)));
        }).WithSummary("One coin's latest quote");

        api.MapGet("/coins/{id}/candles", async Task<Results<Ok<CandleView[]>, ProblemHttpResult, ValidationProblem>> (
            string id, string? interval, DateTimeOffset? from, DateTimeOffset? to, int? limit, IMarketStore store, TimeProvider clock, CancellationToken cancellation) =>
        {
            var window = interval ?? "1m";
            if (Invalid(("id", CheckCoinId(id)), ("interval", IntervalPattern().IsMatch(window) ? null : "interval must be a number and a unit such as 1m, 5m or 1h."),
                    ("from", CheckTime("from", from)), ("to", CheckTime("to", to)), ("limit", PageLimit.Check(limit, MaxLimit))) is { } invalid)
            {
                return invalid;
            }

            var until = to ?? clock.GetUtcNow();
            var since = from ?? until.AddDays(-1);
            if (Invalid(("from", since < until ? null : "from must be before to.")) is { } empty)
            {
                return empty;
            }

            if (await store.LatestAsync(id, cancellation) is null)
            {
                return UnknownCoin(id);
            }

            var candles = await store.CandlesAsync(id, window, since, until, limit ?? DefaultLimit, cancellation);
            return TypedResults.Ok(candles.Select(CandleView.Of).ToArray());
        }).WithSummary("A coin's candles for one interval with window start in [from, to), newest first (default: the last day, 1m, 100)");

        api.MapGet("/alerts", async Task<Results<Ok<AlertView[]>, ValidationProblem>> (DateTimeOffset? since, int? limit, IMarketStore store, TimeProvider clock, CancellationToken cancellation) =>
        {
            if (Invalid(("since", CheckTime("since", since)), ("limit", PageLimit.Check(limit, MaxLimit))) is { } invalid)
            {
                return invalid;
            }

            var alerts = await store.AlertsAsync(since ?? clock.GetUtcNow().AddDays(-1), limit ?? DefaultLimit, cancellation);
            return TypedResults.Ok(alerts.Select(AlertView.Of).ToArray());
        }).WithSummary("Alerts with event time at or after since (default: a day ago), newest first");

        api.MapGet("/pipeline/freshness", async (IMarketStore store, ConsumerLagProbe lag, TimeProvider clock, CancellationToken cancellation) =>
        {
            var now = clock.GetUtcNow();
            var newest = await store.NewestAsync(cancellation);
            return TypedResults.Ok(new FreshnessView(now,
                newest.ToDictionary(kv => kv.Key, kv => new StageFreshness(kv.Value, kv.Value is { } t ? (now - t).TotalSeconds : null)),
                await lag.MeasureAsync()));
        }).WithSummary("The newest event time per collection and the consumer lag of the transform and load stages");

        api.MapGet("/pipeline/stats", async (IMarketStore store, CancellationToken cancellation) =>
            TypedResults.Ok(new StatsView(store.Description, await store.CountsAsync(cancellation))))
            .WithSummary("Documents per collection, and which store holds them");
    }

    private static string? CheckCoinId(string id) =>
        CoinIdPattern().IsMatch(id) ? null : "id must be a CoinGecko coin id: 1-100 lower-case letters, digits, '-', '_' or '.'.";

    /// <summary>Market data lies between Bitcoin's first block and now; a query bound may reach a little further.</summary>
    private static string? CheckTime(string name, DateTimeOffset? value) =>
        value is null || (value >= ValueContract.Earliest && value < LatestQueryTime) ? null
            : $"{name} must be between {ValueContract.Earliest:yyyy-MM-dd} and {LatestQueryTime:yyyy-MM-dd} (got {value:O}).";

    private static readonly DateTimeOffset LatestQueryTime = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ValidationProblem? Invalid(params (string Field, string? Problem)[] checks)
    {
        var problems = checks.Where(c => c.Problem is not null).ToDictionary(c => c.Field, c => new[] { c.Problem! });
        return problems.Count == 0 ? null : TypedResults.ValidationProblem(problems);
    }

    private static ProblemHttpResult UnknownCoin(string id) =>
        TypedResults.Problem($"No data for coin '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown coin");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex CoinIdPattern();

    [GeneratedRegex("^[1-9][0-9]{0,3}[smhd]$")]
    private static partial Regex IntervalPattern();
}
