using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;

namespace CryptoEtl.Processor.Tests.Storage;

public sealed class LiteDbMarketStoreTests : MarketStoreContract
{
    protected override Task<IMarketStore> CreateAsync() =>
        Task.FromResult<IMarketStore>(new LiteDbMarketStore(Path.Combine(Directory.CreateTempSubdirectory("litedb").FullName, "store.litedb")));
}
