using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.Mongo;
using DotNet.Testcontainers.Builders;
using Testcontainers.MongoDb;

namespace CryptoEtl.Processor.Tests.Storage;

/// <summary>
/// The same contract on a real MongoDB: CRYPTOETL_TEST_MONGODB when set, otherwise a mongo container through
/// Testcontainers. Skipped, saying why, where neither exists (no MongoDB server or Docker engine can run on the build
/// machine this project is developed on).
/// </summary>
public sealed class MongoMarketStoreTests : MarketStoreContract
{
    private MongoDbContainer? _container;

    protected override async Task<IMarketStore> CreateAsync()
    {
        var connection = Environment.GetEnvironmentVariable("CRYPTOETL_TEST_MONGODB");
        if (string.IsNullOrEmpty(connection))
        {
            try
            {
                _container = new MongoDbBuilder("mongo:7.0").Build();
                await _container.StartAsync(Cancel);
                connection = _container.GetConnectionString();
            }
            catch (Exception e) when (e is DockerUnavailableException or ArgumentException or InvalidOperationException or TimeoutException)
            {
                Assert.Skip($"No MongoDB here: set CRYPTOETL_TEST_MONGODB or run where Docker is available ({e.GetType().Name}: {e.Message.Split('\n')[0]}).");
            }
        }

        var database = $"cryptoetl_test_{Guid.NewGuid():N}";
        return new MongoMarketStore(new MongoDB.Driver.MongoUrlBuilder(connection) { DatabaseName = database }.ToString(), new StoreOptions());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
