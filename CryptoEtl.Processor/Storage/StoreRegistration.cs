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

    /// <summary>
    /// MongoDB when ConnectionStrings:mongodb is a MongoDB URL; LiteDB in the file named by a LiteDB connection string
    /// (<c>Filename=&lt;file&gt;</c>, as the embedded run gives it); unset, LiteDB in the state directory.
    /// </summary>
    public static IServiceCollection AddMarketStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<StoreOptions>(StoreOptions.Section, o => o.Problems());
        services.AddSingleton<IMarketStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return configuration.GetConnectionString(MongoConnectionName) switch
            {
                { Length: > 0 } given when IsMongoUrl(given) => new MongoMarketStore(given, options),
                { Length: > 0 } given => new LiteDbMarketStore(new LiteDB.ConnectionString(given).Filename),
                _ => new LiteDbMarketStore(Path.Combine(StateDirectory.Resolve(configuration, "processor"), LiteDbFileName)),
            };
        });
        services.AddHostedService<RetentionService>();
        return services;
    }

    public static bool IsMongoUrl(string connectionString) =>
        connectionString.StartsWith("mongodb://", StringComparison.Ordinal) || connectionString.StartsWith("mongodb+srv://", StringComparison.Ordinal);
}
