using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>The <c>CoinGecko</c> configuration section. Validated at start-up; the key is never logged.</summary>
[SettingsSection(Section)]
public sealed partial class CoinGeckoOptions : IValidatableObject
{
    public const string Section = "CoinGecko";

    public CoinGeckoPlan Plan { get; set; } = CoinGeckoPlan.Public;

    /// <summary>Required for the demo and pro plans. Sent only as a header, never in a URL.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Overrides the plan's host, e.g. the simulator at http://127.0.0.1:8090/api/v3; also taken from ConnectionStrings:coingecko.</summary>
    public Uri? BaseUrl { get; set; }

    public string VsCurrency { get; set; } = "usd";

    /// <summary>
    /// How many coins by market cap each run fetches. For the whole market, set it above the market's size (CoinGecko
    /// lists about 17,000 coins: 20000 will do): a run stops at the first page that is not full.
    /// </summary>
    [Between(1, MaxTopN)]
    public int TopN { get; set; } = 250;

    public const int MaxTopN = 100_000;

    /// <summary>MarketCapDesc (the default: the top N) or IdAsc (a complete pass over the whole market).</summary>
    public CoinGeckoOrder Order { get; set; } = CoinGeckoOrder.MarketCapDesc;

    /// <summary>The <c>order</c> parameter of /coins/markets.</summary>
    public string OrderParameter => Order == CoinGeckoOrder.IdAsc ? "id_asc" : "market_cap_desc";

    /// <summary>Coins per /coins/markets page (CoinGecko allows up to 250).</summary>
    [Between(1, 250, Note = "CoinGecko's maximum")]
    public int PerPage { get; set; } = 250;

    /// <summary>Restrict runs to these coin ids (comma-separated in configuration); empty means the top N.</summary>
    public string? Ids { get; set; }

    /// <summary>Client-side limit; defaults to the plan's (public 10, demo 30, pro 500 calls a minute).</summary>
    [Between(1, 100_000)]
    public int? RateLimitPerMinute { get; set; }

    [Between(0, 50)]
    public int MaxRetries { get; set; } = 6;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>One call, retries and waits for permits included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(4);

    public Uri EffectiveBaseUrl => BaseUrl ?? new Uri(Plan == CoinGeckoPlan.Pro ? "https://pro-api.coingecko.com/api/v3/" : "https://api.coingecko.com/api/v3/");

    public int EffectiveRateLimit => RateLimitPerMinute ?? Plan switch
    {
        CoinGeckoPlan.Pro => 500,
        CoinGeckoPlan.Demo => 30,
        _ => 10,
    };

    public IReadOnlyList<string> IdList => (Ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string? KeyHeader => Plan switch
    {
        CoinGeckoPlan.Demo => "x-cg-demo-api-key",
        CoinGeckoPlan.Pro => "x-cg-pro-api-key",
        _ => null,
    };

    /// <summary>The coins a run fetches at most: the ids named, else the top N.</summary>
    public int CoinsPerRun => IdList.Count > 0 ? IdList.Count : TopN;

    /// <summary>The /coins/markets pages a run asks for, at most.</summary>
    public int PagesPerRun => (int)Math.Ceiling(CoinsPerRun / (double)PerPage);

    /// <summary>
    /// How long a run of <see cref="PagesPerRun"/> pages takes at least when runs follow each other, at the rate limit:
    /// the whole market (about 70 pages) takes about 7 minutes on Public, 2.3 on Demo and 8 seconds on Pro.
    /// </summary>
    public TimeSpan PassDuration => TimeSpan.FromMinutes(PagesPerRun / (double)EffectiveRateLimit);

    /// <summary>Never prints the key.</summary>
    public override string ToString() =>
        $"plan {Plan}, {EffectiveBaseUrl}, top {TopN} in {VsCurrency} by {OrderParameter}, {EffectiveRateLimit} calls/min ({PagesPerRun} page(s) a run, about {PassDuration.TotalSeconds:0} s at that rate), key {(string.IsNullOrEmpty(ApiKey) ? "none" : "set")}";

    /// <summary>The rules a single bound cannot state: the key a plan needs, the URL, the currency code and the timeouts.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Plan != CoinGeckoPlan.Public && string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return new ValidationResult($"CoinGecko:ApiKey is required for the {Plan} plan (set CoinGecko__ApiKey).");
        }

        if (BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"CoinGecko:BaseUrl must be an absolute http(s) URL (got '{url}').");
        }

        if (!CurrencyCode().IsMatch(VsCurrency))
        {
            yield return new ValidationResult($"CoinGecko:VsCurrency must be a lower-case currency code such as usd (got '{VsCurrency}').");
        }

        if (!Enum.IsDefined(Order))
        {
            yield return new ValidationResult($"CoinGecko:Order must be MarketCapDesc or IdAsc (got {Order}).");
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout || RetryBaseDelay < TimeSpan.Zero)
        {
            yield return new ValidationResult("CoinGecko:AttemptTimeout must be positive, TotalTimeout at least AttemptTimeout, and RetryBaseDelay not negative.");
        }
    }

    [GeneratedRegex("^[a-z]{2,10}$")]
    internal static partial Regex CurrencyCode();
}

[OptionsValidator]
public sealed partial class CoinGeckoOptionsValidator : IValidateOptions<CoinGeckoOptions>;
