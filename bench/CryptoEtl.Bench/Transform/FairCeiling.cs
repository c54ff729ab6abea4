using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Bench.Measuring;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Bench.Transform;

/// <summary>
/// The fair ceiling for the local executor: consume the same snapshots and produce, as raw bytes, as many ticks, candles
/// and alerts as the executor produced for them, spread evenly over the input, with the executor's keys and values of
/// its sizes (encoded once in advance by the same transformation), and nothing else: no decoding, no transforming, no
/// checkpointing. What the executor does beyond this is the cost of its work, not of writing more records.
/// </summary>
internal sealed class FairCeiling(BenchEnvironment environment, int records)
{
    /// <summary>Where the ceiling writes, one topic per output, each with 6 partitions.</summary>
    public static readonly IReadOnlyDictionary<string, string> OutputTopics = new Dictionary<string, string>
    {
        [Topics.Ticks] = "bench.ceiling.ticks",
        [Topics.Candles] = "bench.ceiling.candles",
        [Topics.Alerts] = "bench.ceiling.alerts",
    };

    /// <summary>How many snapshots the samples are made from (200 minutes of 250 coins).</summary>
    private const int SampleSnapshots = 50_000;

    private readonly Dictionary<string, List<(byte[] Key, byte[] Value)>> _samples = [];

    /// <summary>Encodes the outputs the transformation makes for the first snapshots, one batch per minute of market.</summary>
    public async Task PrepareAsync(ISchemaRegistryClient registry)
    {
        var ticks = new ContractSerializer<PriceTick>(registry);
        var candles = new ContractSerializer<Candle>(registry);
        var alerts = new ContractSerializer<MarketAlert>(registry);
        foreach (var topic in OutputTopics.Keys)
        {
            _samples[topic] = [];
        }

        foreach (var output in SyntheticMarket.Transformed(SampleSnapshots))
        {
            await AddAsync(Topics.Ticks, ticks, output.Ticks, t => t.CoinId);
            await AddAsync(Topics.Candles, candles, output.Candles, c => c.CoinId);
            await AddAsync(Topics.Alerts, alerts, output.Alerts, a => a.CoinId);
        }
    }

    /// <summary>Consumes every snapshot and produces <paramref name="produced"/> records per output topic along the way.</summary>
    public void Run(TimedProgress task, IReadOnlyDictionary<string, long> produced, string group)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig(group)).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig()).Build();
        consumer.Subscribe(Topics.Snapshots);
        var outputs = OutputTopics.Select(o => (Topic: o.Value, Count: produced[o.Key], Samples: _samples[o.Key])).Where(o => o.Count > 0).ToArray();
        if (outputs.FirstOrDefault(o => o.Samples.Count == 0) is { Topic: not null } missing)
        {
            throw new InvalidOperationException($"The executor wrote {missing.Count} records for {missing.Topic}, but the sample has none to copy.");
        }

        var sent = new long[outputs.Length];
        var seen = 0;
        while (seen < records)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false })
            {
                continue;
            }

            seen++;
            for (var i = 0; i < outputs.Length; i++)
            {
                var (topic, count, samples) = outputs[i];
                for (var due = count * seen / records; sent[i] < due; sent[i]++)
                {
                    var (key, value) = samples[(int)(sent[i] % samples.Count)];
                    TransformBenchmark.Produce(producer, topic, key, value);
                }
            }

            if (seen % 10_000 == 0)
            {
                task.Value = seen;
            }
        }

        producer.Flush();
        consumer.Close();
        task.Value = records;
    }

    private async Task AddAsync<T>(string topic, ContractSerializer<T> serializer, IEnumerable<T> values, Func<T, string> key) where T : IAvroContract<T>
    {
        var context = new SerializationContext(MessageComponentType.Value, topic);
        foreach (var value in values)
        {
            _samples[topic].Add((Encoding.UTF8.GetBytes(key(value)), await serializer.SerializeAsync(value, context)));
        }
    }
}
