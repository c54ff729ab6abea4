using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>
/// The embedded Kafka and registry with snapshots produced into them, and the expected result: the pure transformation
/// applied to each partition in offset order.
/// </summary>
internal sealed class ExecutorHarness : IAsyncDisposable
{
    public const string Group = "sparkjob-test";

    private readonly List<(int Partition, long Offset, MarketSnapshot Snapshot)> _produced = [];

    private ExecutorHarness(EmbeddedInfrastructure infrastructure, string checkpoints)
    {
        Infrastructure = infrastructure;
        Checkpoints = checkpoints;
    }

    public EmbeddedInfrastructure Infrastructure { get; }

    public string Checkpoints { get; }

    /// <summary>Executor logs go to the test output (visible when a test fails).</summary>
    public static Microsoft.Extensions.Logging.ILogger Logger { get; } = Microsoft.Extensions.Logging.LoggerFactory
        .Create(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information)).CreateLogger("executor");

    /// <param name="checkpoints">A checkpoint directory to reuse (default: a new one).</param>
    public static async Task<ExecutorHarness> StartAsync(string? checkpoints = null) =>
        new(await EmbeddedInfrastructure.StartAsync(), checkpoints ?? Directory.CreateTempSubdirectory("checkpoints").FullName);

    /// <summary>Produces in exactly the given order (encoding first: async serializers would let records overtake each other).</summary>
    /// <param name="expected">False for records the job must set aside: they are left out of <see cref="Expected"/>.</param>
    public async Task ProduceAsync(IEnumerable<MarketSnapshot> snapshots, bool expected = true)
    {
        var serializer = new ContractSerializer<MarketSnapshot>(Infrastructure.Registry);
        using var producer = Infrastructure.RawProducer();
        var deliveries = new List<(MarketSnapshot, Task<DeliveryResult<byte[]?, byte[]?>>)>();
        foreach (var snapshot in snapshots)
        {
            var value = await serializer.SerializeAsync(snapshot, new SerializationContext(MessageComponentType.Value, Topics.Snapshots));
            deliveries.Add((snapshot, producer.ProduceAsync(Topics.Snapshots, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(snapshot.Id), Value = value })));
        }

        foreach (var (snapshot, delivery) in deliveries)
        {
            var report = await delivery;
            if (expected)
            {
                _produced.Add((report.Partition.Value, report.Offset.Value, snapshot));
            }
        }
    }

    public async Task ProduceRawAsync(string coin, byte[] value)
    {
        using var producer = Infrastructure.RawProducer();
        await producer.ProduceAsync(Topics.Snapshots, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(coin), Value = value });
    }

    /// <summary>What the outputs must amount to: the transformation over each partition's records in offset order.</summary>
    /// <param name="after">A harness whose log came before this one's (a broker that came back empty): its records come first in each partition.</param>
    public StoreView Expected(TransformOptions? options = null, ExecutorHarness? after = null)
    {
        var view = new StoreView();
        var transform = new StreamTransform(options ?? new TransformOptions());
        var logs = (after?._produced.Select(p => (Log: 0, p.Partition, p.Offset, p.Snapshot)) ?? []).Concat(_produced.Select(p => (Log: 1, p.Partition, p.Offset, p.Snapshot)));
        foreach (var partition in logs.GroupBy(p => p.Partition))
        {
            var state = new PartitionState();
            var output = new TransformOutput();
            var ordered = partition.OrderBy(p => p.Log).ThenBy(p => p.Offset).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                transform.Process(state, ordered[i].Snapshot, i, output);
            }

            transform.CompleteBatch(output);
            output.Ticks.ForEach(view.Add);
            output.Candles.ForEach(view.Add);
            output.Alerts.ForEach(view.Add);
        }

        return view;
    }

    /// <summary>Everything on the output topics, as a store would keep it.</summary>
    public async Task<StoreView> ActualAsync()
    {
        var view = new StoreView();
        foreach (var record in Infrastructure.ReadAll(Topics.Ticks))
        {
            view.Add(await Decode<PriceTick>(record, Topics.Ticks));
        }

        foreach (var record in Infrastructure.ReadAll(Topics.Candles))
        {
            view.Add(await Decode<Candle>(record, Topics.Candles));
        }

        foreach (var record in Infrastructure.ReadAll(Topics.Alerts))
        {
            view.Add(await Decode<MarketAlert>(record, Topics.Alerts));
        }

        return view;
    }

    public Task WaitUntilCaughtUpAsync(TimeSpan timeout) =>
        Eventually.GetAsync(() => Task.FromResult(Infrastructure.Lag(Group, Topics.Snapshots)), lag => lag == 0, timeout, "the job to catch up");

    /// <summary>Every dead letter so far, decoded.</summary>
    public async Task<List<CryptoEtl.Contracts.Pipeline.DeadLetter>> DeadLettersAsync()
    {
        var letters = new List<CryptoEtl.Contracts.Pipeline.DeadLetter>();
        foreach (var record in Infrastructure.ReadAll(Topics.DeadLetter))
        {
            letters.Add(await Decode<CryptoEtl.Contracts.Pipeline.DeadLetter>(record, Topics.DeadLetter));
        }

        return letters;
    }

    /// <summary>Runs a local executor in this process until the returned handle is disposed.</summary>
    /// <param name="maxMessageBytes">The producer's message.max.bytes (librdkafka's default when null).</param>
    public RunningStage RunInProcess(LocalExecutorOptions? options = null, int? maxMessageBytes = null)
    {
        var settings = options ?? new LocalExecutorOptions { BatchInterval = TimeSpan.FromMilliseconds(200), MaxBatchSize = 500, FsyncCheckpoints = false };
        settings.ConsumerGroup = Group;
        var status = new BatchStageStatus();
        var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = Infrastructure.BootstrapServers, EnableIdempotence = true, LingerMs = 5, MessageMaxBytes = maxMessageBytes }).SetLogHandler((_, _) => { }).Build();
        var executor = new LocalExecutor(producer, maxMessageBytes, Infrastructure.Registry, new TransformOptions(), settings, Checkpoints,
            new SparkJobTelemetry(new TestMeterFactory()), TimeProvider.System, Logger);
        var stage = new KafkaBatchStage("local executor", executor, settings, status, Logger);
        return new RunningStage(stage, Infrastructure.ConsumerConfig(Group), producer);
    }

    public static async Task<T> Decode<T>(ConsumeResult<byte[]?, byte[]?> record, string topic, Confluent.SchemaRegistry.ISchemaRegistryClient registry) where T : IAvroContract<T>
    {
        var decoded = await new ContractDecoder<T>(registry).DecodeAsync(record.Message.Value, topic);
        Assert.True(decoded.Success, decoded.Error);
        return decoded.Value!;
    }

    public async ValueTask DisposeAsync() => await Infrastructure.DisposeAsync();

    private Task<T> Decode<T>(ConsumeResult<byte[]?, byte[]?> record, string topic) where T : IAvroContract<T> => Decode<T>(record, topic, Infrastructure.Registry);
}

internal sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}
