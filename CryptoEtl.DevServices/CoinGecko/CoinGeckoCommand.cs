using System.CommandLine;
using CryptoEtl.DevServices.Hosting;

namespace CryptoEtl.DevServices.CoinGecko;

/// <summary><c>dotnet run --project CryptoEtl.DevServices -- coingecko</c>: the CoinGecko simulator on its own.</summary>
internal static class CoinGeckoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 8090 };
        var coins = new Option<int>("--coins") { Description = "Coins served (the 17 real ones first, then synthetic).", DefaultValueFactory = _ => 250 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random walks.", DefaultValueFactory = _ => 42 };
        var refresh = new Option<double>("--refresh-seconds") { Description = "How often prices and last_updated move.", DefaultValueFactory = _ => 60 };
        var rateLimit = new Option<int>("--rate-limit") { Description = "Requests per minute before 429 (0: none).", DefaultValueFactory = _ => 30 };
        var errorRate = new Option<double>("--error-rate") { Description = "Share of requests answered 5xx." };
        var latency = new Option<int>("--latency-ms") { Description = "Delay added to every answer." };
        var malformed = new Option<double>("--malformed-rate") { Description = "Share of answers with a cut-short JSON body." };
        var badCoins = new Option<double>("--bad-coin-rate") { Description = "Share of coins with a broken required field." };
        var jumps = new Option<double>("--jump-probability") { Description = "Chance per refresh that a coin jumps 3-8 %.", DefaultValueFactory = _ => new SimulatorOptions().JumpProbability };

        var command = new Command("coingecko", "Run the CoinGecko API simulator (GET /api/v3/ping, /coins/markets, /simple/price).")
        {
            port, coins, seed, refresh, rateLimit, errorRate, latency, malformed, badCoins, jumps,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var faults = new SimulatorFaults
            {
                ErrorRate = parse.GetValue(errorRate), LatencyMs = parse.GetValue(latency),
                MalformedRate = parse.GetValue(malformed), BadCoinRate = parse.GetValue(badCoins),
            };
            var options = Options(parse.GetValue(coins), parse.GetValue(seed), parse.GetValue(refresh), parse.GetValue(rateLimit)) with { JumpProbability = parse.GetValue(jumps) };
            var problems = faults.Problems().Concat(options.Problems()).ToList();

            if (parse.GetValue(port) is < 0 or > 65535)
            {
                problems.Add($"--port must be between 0 and 65535 (got {parse.GetValue(port)}).");
            }

            if (problems.Count > 0)
            {
                await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, problems));
                return 1;
            }

            await using var app = CoinGeckoSimulatorServer.Build($"http://127.0.0.1:{parse.GetValue(port)}", options, faults);
            return await app.RunServiceAsync(cancellation, () =>
            {
                Console.WriteLine($"coingecko.base.url={app.ListeningAddress().ToString().TrimEnd('/')}/api/v3");
                Console.WriteLine("SIMULATED market data (every answer carries X-CryptoEtl-Simulator: true). Faults: GET/PUT /simulator/faults; counts: GET /simulator/stats.");
                return Task.CompletedTask;
            });
        });
        return command;
    }

    private static SimulatorOptions Options(int coins, int seed, double refreshSeconds, int rateLimit) => new()
    {
        CoinCount = coins,
        Seed = seed,
        RefreshInterval = TimeSpan.FromSeconds(refreshSeconds),
        RateLimitPerMinute = rateLimit,
    };
}
