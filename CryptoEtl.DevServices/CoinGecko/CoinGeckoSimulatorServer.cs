namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>Hosts the simulator: standalone (<c>coingecko</c> command) or inside the AppHost's embedded run.</summary>
public static class CoinGeckoSimulatorServer
{
    public static WebApplication Build(string url, SimulatorOptions options, SimulatorFaults? faults = null, TimeProvider? clock = null, string[]? args = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        builder.AddServiceDefaults();
        builder.Environment.ApplicationName = "coingecko-simulator";

        var simulator = new CoinGeckoSimulator(options, clock ?? TimeProvider.System) { Faults = faults ?? SimulatorFaults.None };
        builder.Services.AddSingleton(simulator);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        CoinGeckoSimulatorApi.Map(app, simulator);
        return app;
    }
}
