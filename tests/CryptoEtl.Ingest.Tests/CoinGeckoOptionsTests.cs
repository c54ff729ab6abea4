using CryptoEtl.Ingest.CoinGecko;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.Tests;

public sealed class CoinGeckoOptionsTests
{
    [Theory]
    [InlineData(CoinGeckoPlan.Public, null, "https://api.coingecko.com/api/v3/", 10, null)]
    [InlineData(CoinGeckoPlan.Demo, "k", "https://api.coingecko.com/api/v3/", 30, "x-cg-demo-api-key")]
    [InlineData(CoinGeckoPlan.Pro, "k", "https://pro-api.coingecko.com/api/v3/", 500, "x-cg-pro-api-key")]
    public void Each_plan_has_its_host_rate_and_key_header(CoinGeckoPlan plan, string? key, string url, int rate, string? header)
    {
        var options = new CoinGeckoOptions { Plan = plan, ApiKey = key };

        Assert.Equal((new Uri(url), rate, header), (options.EffectiveBaseUrl, options.EffectiveRateLimit, options.KeyHeader));
        Assert.Empty(new CoinGeckoOptionsValidator().Problems(options));
    }

    [Theory]
    [InlineData(CoinGeckoPlan.Demo, null, 250, 250, "usd", "CoinGecko:ApiKey is required for the Demo plan")]
    [InlineData(CoinGeckoPlan.Public, null, 250, 300, "usd", "CoinGecko:PerPage must be between 1 and 250")]
    [InlineData(CoinGeckoPlan.Public, null, 0, 250, "usd", "CoinGecko:TopN must be between 1 and 100000")]
    [InlineData(CoinGeckoPlan.Public, null, 250, 250, "US Dollar", "CoinGecko:VsCurrency must be a lower-case currency code")]
    public void Invalid_settings_are_refused_naming_the_setting(CoinGeckoPlan plan, string? key, int topN, int perPage, string currency, string message)
    {
        var problems = new CoinGeckoOptionsValidator().Problems(new CoinGeckoOptions { Plan = plan, ApiKey = key, TopN = topN, PerPage = perPage, VsCurrency = currency });

        Assert.Contains(problems, p => p.StartsWith(message, StringComparison.Ordinal));
    }

    /// <summary>The whole market (about 17,000 coins, 68 pages of 250) at each plan's rate limit, as docs/pipeline.md tells it.</summary>
    [Theory]
    [InlineData(CoinGeckoPlan.Public, 408)]
    [InlineData(CoinGeckoPlan.Demo, 136)]
    [InlineData(CoinGeckoPlan.Pro, 8.16)]
    public void A_pass_over_the_whole_market_takes_its_pages_at_the_plans_rate(CoinGeckoPlan plan, double seconds)
    {
        var options = new CoinGeckoOptions { Plan = plan, ApiKey = "k", TopN = 17_000 };

        Assert.Equal((68, seconds), (options.PagesPerRun, Math.Round(options.PassDuration.TotalSeconds, 2)));
        Assert.Contains($"by market_cap_desc, {options.EffectiveRateLimit} calls/min (68 page(s) a run, about {seconds:0} s at that rate)", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_never_appears_in_the_description()
    {
        var options = new CoinGeckoOptions { Plan = CoinGeckoPlan.Pro, ApiKey = "CG-TOPSECRET" };

        Assert.DoesNotContain("TOPSECRET", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("key set", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "http://simulator:8090/api/v3", "http://simulator:8090/api/v3")]
    [InlineData("http://explicit:1/api/v3", "http://simulator:8090/api/v3", "http://explicit:1/api/v3")]
    [InlineData(null, null, null)]
    public void An_AppHost_connection_string_gives_the_base_url_unless_one_is_set(string? baseUrl, string? connectionString, string? expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CoinGecko:BaseUrl"] = baseUrl,
            ["ConnectionStrings:coingecko"] = connectionString,
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddCoinGeckoClient().BuildServiceProvider();

        Assert.Equal(expected, services.GetRequiredService<IOptions<CoinGeckoOptions>>().Value.BaseUrl?.ToString());
    }
}
