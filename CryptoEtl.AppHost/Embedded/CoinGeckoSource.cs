namespace CryptoEtl.AppHost.Embedded;

/// <summary>Decides, for --source auto, whether the real CoinGecko API answers.</summary>
public static class CoinGeckoSource
{
    public const string RealApi = "https://api.coingecko.com/api/v3";

    public static async Task<bool> RealApiAnswersAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"{RealApi}/ping"), cancellation);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return false;
        }
    }
}
