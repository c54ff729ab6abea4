using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>The embedded Kafka and registry, outputs of the transform produced into them, and a loader to run.</summary>
internal sealed class LoaderHarness : IAsyncDisposable
{
    public const string Group = "processor-test";

    private LoaderHarness(EmbeddedInfrastructure infrastructure, string stateDirectory)
    {
        Infrastructure = infrastructure;
        StateDirectory = stateDirectory;
    }

    public EmbeddedInfrastructure Infrastructure { get; }

    public string StateDirectory { get; }

    public string LiteDbPath => Path.Combine(StateDirectory, StoreRegistration.LiteDbFileName);

    /// <param name="stateDirectory">Where the LiteDB file goes (a new temporary directory by default).</param>
    public static async Task<LoaderHarness> StartAsync(string? stateDirectory = null) =>
        new(await EmbeddedInfrastructure.StartAsync(), stateDirectory ?? Directory.CreateTempSubdirectory("processor-state").FullName);

    /// <summary>Produces records in the given order (encoded first, so none overtakes another).</summary>
    public async Task ProduceAsync<T>(string topic, IEnumerable<T> values, Func<T, string> key) where T : IAvroContract<T>
    {
        var serializer = new ContractSerializer<T>(Infrastructure.Registry);
        using var producer = Infrastructure.RawProducer();
        var deliveries = new List<Task>();
        foreach (var value in values)
        {
            var bytes = await serializer.SerializeAsync(value, new SerializationContext(MessageComponentType.Value, topic));
            deliveries.Add(producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(key(value)), Value = bytes }));
        }

        await Task.WhenAll(deliveries);
    }

    public async Task ProduceRawAsync(string topic, byte[] value)
    {
        using var producer = Infrastructure.RawProducer();
        await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = "poison"u8.ToArray(), Value = value });
    }

    public long Lag() => Loader.InputTopics.Sum(t => Infrastructure.Lag(Group, t));

    public Task WaitUntilLoadedAsync(TimeSpan? timeout = null) =>
        Eventually.GetAsync(() => Task.FromResult(Lag()), lag => lag == 0, timeout ?? TimeSpan.FromSeconds(60), "the loader to commit everything");

    /// <summary>Every dead letter so far, decoded.</summary>
    public async Task<List<CryptoEtl.Contracts.Pipeline.DeadLetter>> DeadLettersAsync()
    {
        var decoder = new ContractDecoder<CryptoEtl.Contracts.Pipeline.DeadLetter>(Infrastructure.Registry);
        var letters = new List<CryptoEtl.Contracts.Pipeline.DeadLetter>();
        foreach (var record in Infrastructure.ReadAll(Topics.DeadLetter))
        {
            letters.Add((await decoder.DecodeAsync(record.Message.Value, Topics.DeadLetter)).Value!);
        }

        return letters;
    }

    public RunningStage Run(IMarketStore store)
    {
        var status = new BatchStageStatus();
        var options = new LoaderOptions { ConsumerGroup = Group, MaxBatchSize = 200, BatchInterval = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(300) };
        var producer = Infrastructure.RawProducer();
        var loader = new Loader(producer, null, Infrastructure.Registry, store, options, new ProcessorTelemetry(new TestMeters()), TimeProvider.System, NullLogger.Instance);
        return new RunningStage(new KafkaBatchStage("loader", loader, options, status, NullLogger.Instance), Infrastructure.ConsumerConfig(Group), producer);
    }

    public async Task<LiteDbMarketStore> OpenStoreAsync()
    {
        var store = new LiteDbMarketStore(LiteDbPath);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    public async ValueTask DisposeAsync() => await Infrastructure.DisposeAsync();
}

internal sealed class TestMeters : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}

/// <summary>
/// A store that refuses writes while <see cref="Down"/> is set, like a database that is down or slow, or while
/// <see cref="WriteFailure"/> is set, with that error, while it still answers a ping (a full disk, a primary stepping down).
/// </summary>
internal sealed class OutageStore(IMarketStore inner) : IMarketStore
{
    public volatile bool Down;

    private volatile Exception? _writeFailure;

    public Exception? WriteFailure
    {
        get => _writeFailure;
        set => _writeFailure = value;
    }

    private volatile string? _refusedCoin;

    /// <summary>A coin whose ticks this store refuses every time, as a store refuses a document it cannot hold (null: none).</summary>
    public string? RefusedCoin
    {
        get => _refusedCoin;
        set => _refusedCoin = value;
    }

    public int Refused;

    public string Description => inner.Description;

    public Task InitializeAsync(CancellationToken cancellation) => inner.InitializeAsync(cancellation);

    public Task<WriteSummary> WriteAsync(StoreBatch batch, CancellationToken cancellation)
    {
        if (Down)
        {
            Interlocked.Increment(ref Refused);
            throw new TimeoutException("the store did not answer (simulated outage)");
        }

        if (WriteFailure is { } failure)
        {
            Interlocked.Increment(ref Refused);
            throw failure;
        }

        if (batch.Ticks.Any(t => t.CoinId == RefusedCoin))
        {
            Interlocked.Increment(ref Refused);
            throw new InvalidOperationException($"the store cannot hold a tick of {RefusedCoin} (simulated)");
        }

        return inner.WriteAsync(batch, cancellation);
    }

    public Task<IReadOnlyList<CryptoEtl.Contracts.Market.PriceTick>> LatestPageAsync(string? afterKey, int limit, CancellationToken cancellation) => inner.LatestPageAsync(afterKey, limit, cancellation);

    public Task<double> TotalMarketCapAsync(CancellationToken cancellation) => inner.TotalMarketCapAsync(cancellation);

    public Task<CryptoEtl.Contracts.Market.PriceTick?> LatestAsync(string coinId, CancellationToken cancellation) => inner.LatestAsync(coinId, cancellation);

    public Task<IReadOnlyList<CryptoEtl.Contracts.Market.Candle>> CandlesAsync(string coinId, string interval, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        inner.CandlesAsync(coinId, interval, from, to, limit, cancellation);

    public Task<IReadOnlyList<CryptoEtl.Contracts.Market.MarketAlert>> AlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellation) => inner.AlertsAsync(since, limit, cancellation);

    public Task<IReadOnlyList<CryptoEtl.Contracts.Market.PriceTick>> TicksAsync(string coinId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        inner.TicksAsync(coinId, from, to, limit, cancellation);

    public Task<IReadOnlyDictionary<string, DateTimeOffset?>> NewestAsync(CancellationToken cancellation) => inner.NewestAsync(cancellation);

    public Task PingAsync(CancellationToken cancellation) => Down ? throw new TimeoutException("the store did not answer (simulated outage)") : inner.PingAsync(cancellation);

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellation) => inner.CountsAsync(cancellation);

    public Task<long> DeleteTicksBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellation) => inner.DeleteTicksBeforeAsync(cutoff, cancellation);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
