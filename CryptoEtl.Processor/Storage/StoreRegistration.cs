using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.Processor.Storage.Mongo;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.ServiceDefaults.State;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Storage;

/// <summary>The market store, wired in one call as Aspire.MongoDB.Driver's <c>AddMongoDBClient</c> wires a client.</summary>
public static class StoreRegistration
{
    public const string MongoConnectionName = "mongodb";
    public const string LiteDbFileName = "processor.litedb";

    /// <summary>
    /// Registers the <see cref="IMarketStore"/>, its <c>Store</c> options (checked at start-up), tick retention, and a
    /// readiness check named after the connection. The store is MongoDB when <c>ConnectionStrings:{connectionName}</c>
    /// is a MongoDB URL; LiteDB in the file a LiteDB connection string names (<c>Filename=&lt;file&gt;</c>, as the
    /// embedded run gives it); unset, LiteDB in the state directory.
    /// </summary>
    public static IHostApplicationBuilder AddMarketStore(this IHostApplicationBuilder builder, string connectionName = MongoConnectionName)
    {
        builder.Services.AddValidatedOptions<StoreOptions, StoreOptionsValidator>(StoreOptions.Section);
        builder.Services.AddSingleton<IMarketStore>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return configuration.GetConnectionString(connectionName) switch
            {
                { Length: > 0 } given when IsMongoUrl(given) => new MongoMarketStore(given, options),
                { Length: > 0 } given => new LiteDbMarketStore(new LiteDB.ConnectionString(given).Filename),
                _ => new LiteDbMarketStore(Path.Combine(StateDirectory.Resolve(configuration, "processor"), LiteDbFileName)),
            };
        });
        builder.Services.AddHostedService<RetentionService>();
        builder.Services.AddHealthChecks().AddCheck<MarketStoreHealthCheck>(connectionName, tags: ["ready"]);
        return builder;
    }

    public static bool IsMongoUrl(string connectionString) =>
        connectionString.StartsWith("mongodb://", StringComparison.Ordinal) || connectionString.StartsWith("mongodb+srv://", StringComparison.Ordinal);
}

/// <summary>Healthy when the store answers a ping in time.</summary>
public sealed class MarketStoreHealthCheck(IMarketStore store) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy(store.Description);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{store.Description} does not answer: {e.Describe()}");
        }
    }
}
