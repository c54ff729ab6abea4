using CryptoEtl.ServiceDefaults.State;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>Hosts the registry stand-in: standalone (<c>schema-registry</c> command) or inside the AppHost's embedded run.</summary>
public static class SchemaRegistryServer
{
    public const string StateFileName = "schema-registry.json";

    /// <param name="url">Where to listen, e.g. http://127.0.0.1:8081 (port 0 picks a free one).</param>
    /// <param name="stateDirectory">Where the state file lives; null keeps the registry in memory.</param>
    public static WebApplication Build(string url, string? stateDirectory, string[]? args = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        builder.AddServiceDefaults();
        builder.Environment.ApplicationName = "schema-registry";

        var store = new SchemaRegistryStore(stateDirectory is null ? null : Path.Combine(stateDirectory, StateFileName));
        builder.Services.AddSingleton(store);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapDefaultEndpoints();
        SchemaRegistryApi.Map(app, store);
        return app;
    }

    public static string DefaultStateDirectory(IConfiguration configuration) => StateDirectory.Resolve(configuration, "schema-registry");
}
