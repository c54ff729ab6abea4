using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Processor.Api;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>
/// What an uninterrupted run stores for the snapshots on the topic: the transformation applied to each partition in
/// offset order (the job is deterministic given that order), reduced as a store keeps it (ticks by id, the highest
/// candle version, alerts by id), in the read API's shapes.
/// </summary>
internal sealed class ExpectedStore
{
    public Dictionary<string, PriceTick> Ticks { get; } = [];

    public Dictionary<string, CandleView> Candles { get; } = [];

    public Dictionary<string, AlertView> Alerts { get; } = [];

    public int Snapshots { get; private set; }

    public static async Task<ExpectedStore> FromSnapshotsAsync(string bootstrapServers, string registryUrl, CancellationToken cancellation)
    {
        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registryUrl });
        var decoder = new ContractDecoder<MarketSnapshot>(registry);
        var expected = new ExpectedStore();
        var transform = new StreamTransform(new TransformOptions());
        var candles = new Dictionary<string, Candle>();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = $"expected-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true,
        }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var partitions = admin.GetMetadata(Topics.Snapshots, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        foreach (var partition in partitions)
        {
            consumer.Assign(new TopicPartitionOffset(Topics.Snapshots, partition, Offset.Beginning));
            var state = new PartitionState();
            var output = new TransformOutput();
            var index = 0;
            while (consumer.Consume(TimeSpan.FromSeconds(10)) is { IsPartitionEOF: false } record)
            {
                var decoded = await decoder.DecodeAsync(record.Message.Value, Topics.Snapshots);
                Assert.True(decoded.Success, decoded.Error);
                transform.Process(state, decoded.Value!, index++, output);
                expected.Snapshots++;
            }

            transform.CompleteBatch(output);
            output.Ticks.ForEach(t => expected.Ticks[$"{t.CoinId}|{t.EventTime.ToUnixTimeMilliseconds()}"] = t);
            foreach (var candle in output.Candles.Where(c => !candles.TryGetValue(c.WindowId, out var stored) || c.Version > stored.Version))
            {
                candles[candle.WindowId] = candle;
            }

            output.Alerts.ForEach(a => expected.Alerts[a.AlertId] = AlertView.Of(a));
            cancellation.ThrowIfCancellationRequested();
        }

        foreach (var (id, candle) in candles)
        {
            expected.Candles[id] = CandleView.Of(candle);
        }

        return expected;
    }

    /// <summary>The newest tick of each coin: what /api/coins serves.</summary>
    public Dictionary<string, PriceTick> Latest() => Ticks.Values.GroupBy(t => t.CoinId).ToDictionary(g => g.Key, g => g.MaxBy(t => t.EventTime)!);
}
