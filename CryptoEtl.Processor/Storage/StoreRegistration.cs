using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.Processor.Storage.Mongo;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.ServiceDefaults.State;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Storage;

public static class StoreRegistration
{
    public const string MongoConnectionName = "mongodb";
    public const string LiteDbFileName = "processor.litedb";

    /// <summary>MongoDB when ConnectionStrings:mongodb is set, LiteDB in the state directory otherwise.</summary>
    public static IServiceCollection AddMarketStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<StoreOptions>(StoreOptions.Section, o => o.Problems());
        services.AddSingleton<IMarketStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return configuration.GetConnectionString(MongoConnectionName) is { Length: > 0 } mongo
                ? new MongoMarketStore(mongo, options)
                : new LiteDbMarketStore(Path.Combine(StateDirectory.Resolve(configuration, "processor"), LiteDbFileName));
        });
        services.AddHostedService<RetentionService>();
        return services;
    }
}
