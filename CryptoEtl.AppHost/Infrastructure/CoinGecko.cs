namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>The real CoinGecko API, outside the model: a connection string only (value.v0 in the manifest).</summary>
public sealed class CoinGeckoApiResource(string name) : Resource(name), IResourceWithConnectionString
{
    public const string BaseUrl = "https://api.coingecko.com/api/v3";

    public ReferenceExpression ConnectionStringExpression { get; } = ReferenceExpression.Create($"{BaseUrl}");
}

/// <summary>The CoinGecko simulator (CryptoEtl.DevServices <c>coingecko</c>): simulated market data, said loudly.</summary>
public sealed class CoinGeckoSimulatorResource(string name) : DevServicesResource(name), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "http");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"http://127.0.0.1:{Endpoint.Property(EndpointProperty.Port)}/api/v3");
}

public static class CoinGeckoResourceExtensions
{
    /// <summary>
    /// The CoinGecko API, or its simulator where one can run (<paramref name="canSimulate"/>: the embedded run) and
    /// <paramref name="source"/> asks for it: <c>simulator</c> always, <c>auto</c> (the default) when the real API's
    /// /ping does not answer within 5 s. The simulator serves <paramref name="coins"/> coins (default 250).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddCoinGecko(this IDistributedApplicationBuilder builder, string name, string source, bool canSimulate,
        int? coins = null)
    {
        var why = source switch
        {
            "simulator" when canSimulate => "--source simulator",
            "auto" when canSimulate && !RealApiAnswers() => "the CoinGecko API did not answer /ping",
            _ => null,
        };
        if (why is null)
        {
            return builder.AddResource(new CoinGeckoApiResource(name)).WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "CoinGecko API",
                State = KnownResourceStates.Running,
                Properties = [new ResourcePropertySnapshot("url", CoinGeckoApiResource.BaseUrl)],
            });
        }

        Banner(builder, $"SIMULATED DATA: {why}, so the CoinGecko simulator serves market data (every record carries source = simulator).");
        var simulator = new CoinGeckoSimulatorResource(name);
        // A livelier market than the real one, so alerts and dead letters show within minutes of starting.
        return builder.AddDevServicesCommand(simulator, "coingecko")
            .WithArgs("--port", simulator.Endpoint.Property(EndpointProperty.TargetPort),
                "--refresh-seconds", "30", "--rate-limit", "30", "--jump-probability", "0.02", "--bad-coin-rate", "0.004",
                "--coins", (coins ?? 250).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHttpEndpoint(name: "http", isProxied: false)
            .WithHttpHealthCheck("/health");
    }

    /// <summary>"simulator" when the model's CoinGecko is the simulator: every service that records a source says so.</summary>
    public static string SourceName(this IResourceBuilder<IResourceWithConnectionString> coingecko) =>
        coingecko.Resource is CoinGeckoSimulatorResource ? "simulator" : "coingecko";

    private static bool RealApiAnswers()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = http.GetAsync(new Uri($"{CoinGeckoApiResource.BaseUrl}/ping")).GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static void Banner(IDistributedApplicationBuilder builder, string message)
    {
        var line = new string('!', 100);
        Console.WriteLine($"{line}\n{message}\n{line}");
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CryptoEtl.AppHost").LogWarning("{Banner}", message);
            return Task.CompletedTask;
        });
    }
}
