using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>CoinGecko's <c>/api/v3</c> endpoints with the same JSON shape, plus <c>/simulator/*</c> controls.</summary>
public static class CoinGeckoSimulatorApi
{
    /// <summary>Every simulator answer carries this header, so no client can mistake simulated data for real data.</summary>
    public const string SimulatorHeader = "X-CryptoEtl-Simulator";

    public const string RateLimitMessage =
        "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.";

    private static readonly string[] Orders = ["market_cap_desc", "market_cap_asc", "volume_desc", "volume_asc", "id_asc", "id_desc"];
    private static readonly string[] ChangeWindows = ["1h", "24h", "7d", "14d", "30d", "200d", "1y"];

    /// <summary>Fixed exchange rates against the dollar; the simulator quotes in these currencies only.</summary>
    private static readonly Dictionary<string, double> Currencies = new(StringComparer.Ordinal)
    {
        ["usd"] = 1, ["eur"] = 0.92, ["gbp"] = 0.79, ["jpy"] = 141.5, ["chf"] = 0.86, ["brl"] = 4.9,
    };

    public static void Map(WebApplication app, CoinGeckoSimulator simulator)
    {
        app.Use(async (context, next) =>
        {
            context.Response.Headers[SimulatorHeader] = "true";
            await next();
        });

        var api = app.MapGroup("/api/v3").AddEndpointFilter(async (context, next) =>
        {
            var headers = context.HttpContext.Request.Headers;
            var verdict = simulator.Admit(headers["x-cg-demo-api-key"].FirstOrDefault() ?? headers["x-cg-pro-api-key"].FirstOrDefault());
            await simulator.DelayAsync(verdict.Latency, context.HttpContext.RequestAborted);
            if (verdict.Status == 401)
            {
                return Results.Json(new { status = new { error_code = 10002, error_message = "API Key Missing. Please make sure you're using the right authentication method." } }, statusCode: 401);
            }

            if (verdict.Status == 429)
            {
                context.HttpContext.Response.Headers.RetryAfter = verdict.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return StatusError(429, RateLimitMessage);
            }

            if (verdict.Status != 200)
            {
                return StatusError(verdict.Status, "The service is temporarily unavailable (simulated fault).");
            }

            context.HttpContext.Items[nameof(Verdict)] = verdict;
            return await next(context);
        });

        api.MapGet("/ping", () => Results.Json(new { gecko_says = "(V3) To the Moon!" }));
        api.MapGet("/coins/markets", (HttpContext http) => Markets(http, simulator));
        api.MapGet("/simple/price", (HttpContext http) => SimplePrice(http, simulator));

        app.MapGet("/simulator/faults", () => Results.Json(simulator.Faults));
        app.MapPut("/simulator/faults", (SimulatorFaults faults) =>
        {
            var problems = faults.Problems();
            if (problems.Count > 0)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["faults"] = [.. problems] });
            }

            simulator.Faults = faults;
            return Results.Json(faults);
        });
        app.MapGet("/simulator/stats", () => Results.Json(simulator.Stats));
    }

    private static IResult Markets(HttpContext http, CoinGeckoSimulator simulator)
    {
        var query = http.Request.Query;
        if (Currency(query["vs_currency"]) is not { } rate)
        {
            return FlatError(string.IsNullOrEmpty(query["vs_currency"]) ? "Missing parameter vs_currency" : "invalid vs_currency");
        }

        var order = query["order"].ToString() is { Length: > 0 } o ? o : "market_cap_desc";
        if (!Orders.Contains(order))
        {
            return FlatError($"invalid order: {order}");
        }

        if (!TryInt(query["per_page"], 100, out var perPage) || perPage is < 1 or > 250)
        {
            return FlatError("per_page must be an integer between 1 and 250");
        }

        if (!TryInt(query["page"], 1, out var page) || page < 1)
        {
            return FlatError("page must be a positive integer");
        }

        var windows = query["price_change_percentage"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (windows.FirstOrDefault(w => !ChangeWindows.Contains(w)) is { } unknown)
        {
            return FlatError($"invalid price_change_percentage: {unknown}");
        }

        var ids = IdSet(query["ids"]);
        var body = simulator.Market.Read(coins =>
        {
            var byCap = simulator.Market.ByMarketCap; // also sets each coin's rank
            IEnumerable<SimulatedCoin> selected = order switch
            {
                "market_cap_asc" => byCap.Reverse(),
                "volume_desc" => coins.OrderByDescending(c => c.Volume),
                "volume_asc" => coins.OrderBy(c => c.Volume),
                "id_asc" => simulator.Market.ById,
                "id_desc" => simulator.Market.ById.Reverse(),
                _ => byCap,
            };
            if (ids is not null)
            {
                selected = selected.Where(c => ids.Contains(c.Template.Id));
            }

            var pageOfCoins = selected.Skip((page - 1) * perPage).Take(perPage).ToList();
            return WriteMarkets(pageOfCoins, rate, windows, simulator);
        });

        return Body(http, body);
    }

    private static IResult SimplePrice(HttpContext http, CoinGeckoSimulator simulator)
    {
        var query = http.Request.Query;
        var ids = IdSet(query["ids"]);
        var currencies = query["vs_currencies"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids is null || currencies.Length == 0)
        {
            return FlatError(ids is null ? "Missing parameter ids" : "Missing parameter vs_currencies");
        }

        if (currencies.FirstOrDefault(c => Currency(c) is null) is { } unknown)
        {
            return FlatError($"invalid vs_currencies: {unknown}");
        }

        var flags = (cap: Flag(query["include_market_cap"]), vol: Flag(query["include_24hr_vol"]),
            change: Flag(query["include_24hr_change"]), updated: Flag(query["include_last_updated_at"]));
        var body = simulator.Market.Read(coins =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                foreach (var coin in coins.Where(c => ids.Contains(c.Template.Id)))
                {
                    json.WriteStartObject(coin.Template.Id);
                    foreach (var currency in currencies)
                    {
                        var rate = Currency(currency)!.Value;
                        json.WriteNumber(currency, coin.Price * rate);
                        if (flags.cap) json.WriteNumber($"{currency}_market_cap", coin.MarketCap * rate);
                        if (flags.vol) json.WriteNumber($"{currency}_24h_vol", coin.Volume * rate);
                        if (flags.change) json.WriteNumber($"{currency}_24h_change", coin.ChangePercent(24 * 60 - 1));
                    }

                    if (flags.updated) json.WriteNumber("last_updated_at", coin.LastUpdated.ToUnixTimeSeconds());
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            return buffer.WrittenMemory.ToArray();
        });

        return Body(http, body);
    }

    private static byte[] WriteMarkets(List<SimulatedCoin> coins, double rate, string[] windows, CoinGeckoSimulator simulator)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var coin in coins)
            {
                var t = coin.Template;
                var defect = simulator.NextCoinDefect();
                var price = coin.Price * rate;
                json.WriteStartObject();
                if (defect == CoinDefect.NullId) json.WriteNull("id"); else json.WriteString("id", t.Id);
                json.WriteString("symbol", t.Symbol);
                json.WriteString("name", t.Name);
                json.WriteString("image", t.Image ?? "https://assets.coingecko.com/coins/images/missing_large.png");
                switch (defect)
                {
                    case CoinDefect.NullPrice: json.WriteNull("current_price"); break;
                    case CoinDefect.NegativePrice: json.WriteNumber("current_price", -price); break;
                    default: json.WriteNumber("current_price", price); break;
                }

                json.WriteNumber("market_cap", Math.Round(coin.MarketCap * rate));
                json.WriteNumber("market_cap_rank", coin.MarketCapRank);
                WriteNullable(json, "fully_diluted_valuation", t.FullyDilutedRatio is { } ratio ? Math.Round(coin.MarketCap * rate * ratio) : null);
                json.WriteNumber("total_volume", Math.Round(coin.Volume * rate));
                json.WriteNumber("high_24h", coin.High24h * rate);
                json.WriteNumber("low_24h", coin.Low24h * rate);
                json.WriteNumber("price_change_24h", coin.PriceChange24h * rate);
                json.WriteNumber("price_change_percentage_24h", Math.Round(coin.ChangePercent(24 * 60 - 1), 5));
                json.WriteNumber("market_cap_change_24h", coin.PriceChange24h * rate * (t.CirculatingSupply ?? 0));
                json.WriteNumber("market_cap_change_percentage_24h", Math.Round(coin.ChangePercent(24 * 60 - 1), 5));
                WriteNullable(json, "circulating_supply", t.CirculatingSupply);
                WriteNullable(json, "total_supply", t.TotalSupply);
                WriteNullable(json, "max_supply", t.MaxSupply);
                WriteNullable(json, "ath", t.Ath * rate);
                WriteNullable(json, "ath_change_percentage", t.Ath is { } ath ? Math.Round(100 * (coin.Price - ath) / ath, 5) : null);
                json.WriteString("ath_date", t.AthDate);
                WriteNullable(json, "atl", t.Atl * rate);
                WriteNullable(json, "atl_change_percentage", t.Atl is { } atl ? Math.Round(100 * (coin.Price - atl) / atl, 5) : null);
                json.WriteString("atl_date", t.AtlDate);
                if (t.Roi is { } roi)
                {
                    json.WriteStartObject("roi");
                    json.WriteNumber("times", roi.Times);
                    json.WriteString("currency", roi.Currency);
                    json.WriteNumber("percentage", roi.Percentage);
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("roi");
                }

                json.WriteString("last_updated", defect == CoinDefect.BadLastUpdated
                    ? "sometime yesterday"
                    : coin.LastUpdated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                foreach (var window in windows)
                {
                    var steps = window switch { "1h" => 60, "24h" => (24 * 60) - 1, _ => int.MaxValue };
                    json.WriteNumber($"price_change_percentage_{window}_in_currency", coin.ChangePercent(steps));
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.WrittenMemory.ToArray();
    }

    /// <summary>The JSON body, or (when the malformed fault hit this request) its first half.</summary>
    private static IResult Body(HttpContext http, byte[] body)
    {
        var verdict = http.Items[nameof(Verdict)] is Verdict v ? v : default;
        return Results.Bytes(verdict.Malformed ? body[..(body.Length / 2)] : body, "application/json; charset=utf-8");
    }

    /// <summary>CoinGecko's error shape for 429 and 5xx: {"status":{"error_code":..,"error_message":..}}.</summary>
    private static IResult StatusError(int status, string message) =>
        Results.Json(new { status = new { error_code = status, error_message = message } }, statusCode: status);

    /// <summary>CoinGecko's shape for bad parameters: {"error":"..."}.</summary>
    private static IResult FlatError(string message) => Results.Json(new { error = message }, statusCode: 400);

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static double? Currency(string? code) => code is not null && Currencies.TryGetValue(code.ToLowerInvariant(), out var rate) ? rate : null;

    private static HashSet<string>? IdSet(string? ids) =>
        string.IsNullOrWhiteSpace(ids) ? null : ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    private static bool TryInt(string? text, int fallback, out int value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private static bool Flag(string? text) => string.Equals(text, "true", StringComparison.OrdinalIgnoreCase);
}
