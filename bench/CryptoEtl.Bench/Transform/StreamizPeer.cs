using System.Buffers.Binary;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Stream;
using Streamiz.Kafka.Net.Table;

namespace CryptoEtl.Bench.Transform;

/// <summary>
/// The same job with Kafka Streams for .NET (Streamiz), written its idiomatic way: ticks from a per-coin aggregate (the
/// previous price in a key-value store), and 1m/5m/1h OHLC candles as windowed aggregations with the executor's allowed
/// lateness as grace, in its in-memory window stores (changelogs off: the executor's checkpoints are local files too).
/// Values go through the same Avro codec and registry as the executor's.
/// </summary>
internal sealed class StreamizPeer
{
    public const string ApplicationId = "bench-streamiz";
    public const string TicksTopic = "bench.streamiz.ticks";
    public const string CandlesTopic = "bench.streamiz.candles";

    private static readonly (string Name, TimeSpan Size)[] Intervals = [("1m", TimeSpan.FromMinutes(1)), ("5m", TimeSpan.FromMinutes(5)), ("1h", TimeSpan.FromHours(1))];
    private static readonly TimeSpan Grace = new TransformOptions().AllowedLateness;

    public static KafkaStream Start(string bootstrap, ISchemaRegistryClient registry)
    {
        var config = new StreamConfig<StringSerDes, StringSerDes>
        {
            ApplicationId = ApplicationId,
            BootstrapServers = bootstrap,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            CommitIntervalMs = 100,
            // One stream thread: with two, a thread hit "Group rebalance in progress" on its first commit against the
            // embedded broker (TaskMigratedException), stopped, and left its partitions unprocessed (tried 2026-12-01).
            NumStreamThreads = 1,
            // Its knobs for throughput, set as a user tuning it would: bigger polls (default 500) and the producer
            // batching the executor's producer has.
            MaxPollRecords = 20_000,
            LingerMs = 10,
            Logger = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)),
            DefaultTimestampExtractor = new SnapshotTime(),
            Guarantee = ProcessingGuarantee.AT_LEAST_ONCE,
        };

        var snapshots = new ContractSerDes<MarketSnapshot>(registry);
        var ticks = new ContractSerDes<PriceTick>(registry);
        var candles = new ContractSerDes<Candle>(registry);
        var builder = new StreamBuilder();
        var input = builder.Stream(Topics.Snapshots, new StringSerDes(), snapshots);

        input.GroupByKey()
            .Aggregate<PriceTick>(() => null!, (_, snapshot, previous) => StreamTransform.TickOf(snapshot, previous?.Price),
                InMemory.As<string, PriceTick>("ticks").WithValueSerdes(ticks).WithLoggingDisabled())
            .ToStream()
            .To(TicksTopic, new StringSerDes(), ticks);

        foreach (var (name, size) in Intervals)
        {
            input.GroupByKey()
                .WindowedBy(TumblingWindowOptions.Of(size, Grace))
                .Aggregate(() => OhlcState.Empty, (_, snapshot, state) => state.Add(snapshot),
                    InMemoryWindows.As<string, OhlcState>($"candles-{name}").WithValueSerdes(new OhlcSerDes()).WithLoggingDisabled())
                .ToStream()
                .Map((window, state, _) => KeyValuePair.Create(window.Key, CandleOf(window, state, name)))
                .To(CandlesTopic, new StringSerDes(), candles);
        }

        var stream = new KafkaStream(builder.Build(), config);
        stream.StartAsync().GetAwaiter().GetResult();
        return stream;
    }

    private static Candle CandleOf(Windowed<string> window, OhlcState state, string interval) => new()
    {
        CoinId = window.Key,
        Interval = interval,
        WindowStart = DateTimeOffset.FromUnixTimeMilliseconds(window.Window.StartMs),
        WindowEnd = DateTimeOffset.FromUnixTimeMilliseconds(window.Window.EndMs),
        Open = state.Open,
        High = state.High,
        Low = state.Low,
        Close = state.Close,
        Volume24h = state.Volume,
        TickCount = state.Count,
        FirstEventTime = DateTimeOffset.FromUnixTimeMilliseconds(state.FirstMs),
        LastEventTime = DateTimeOffset.FromUnixTimeMilliseconds(state.LastMs),
        Version = state.Count,
        Final = false,
    };

    /// <summary>One window's running OHLC: open is the price of the earliest event, close of the latest.</summary>
    internal readonly record struct OhlcState(double Open, double High, double Low, double Close, double? Volume, int Count, long FirstMs, long LastMs)
    {
        public static OhlcState Empty => new(0, double.MinValue, double.MaxValue, 0, null, 0, long.MaxValue, long.MinValue);

        public OhlcState Add(MarketSnapshot snapshot)
        {
            var time = snapshot.LastUpdated.ToUnixTimeMilliseconds();
            var price = snapshot.CurrentPrice;
            return new OhlcState(time < FirstMs ? price : Open, Math.Max(High, price), Math.Min(Low, price), time >= LastMs ? price : Close,
                time >= LastMs ? snapshot.TotalVolume : Volume, Count + 1, Math.Min(FirstMs, time), Math.Max(LastMs, time));
        }
    }

    private sealed class OhlcSerDes : AbstractSerDes<OhlcState>
    {
        public override byte[] Serialize(OhlcState data, SerializationContext context)
        {
            var bytes = new byte[61];
            var span = bytes.AsSpan();
            BinaryPrimitives.WriteDoubleLittleEndian(span, data.Open);
            BinaryPrimitives.WriteDoubleLittleEndian(span[8..], data.High);
            BinaryPrimitives.WriteDoubleLittleEndian(span[16..], data.Low);
            BinaryPrimitives.WriteDoubleLittleEndian(span[24..], data.Close);
            BinaryPrimitives.WriteDoubleLittleEndian(span[32..], data.Volume ?? double.NaN);
            BinaryPrimitives.WriteInt32LittleEndian(span[40..], data.Count);
            BinaryPrimitives.WriteInt64LittleEndian(span[44..], data.FirstMs);
            BinaryPrimitives.WriteInt64LittleEndian(span[52..], data.LastMs);
            bytes[60] = data.Volume is null ? (byte)0 : (byte)1;
            return bytes;
        }

        public override OhlcState Deserialize(byte[] data, SerializationContext context)
        {
            var span = data.AsSpan();
            return new OhlcState(BinaryPrimitives.ReadDoubleLittleEndian(span), BinaryPrimitives.ReadDoubleLittleEndian(span[8..]),
                BinaryPrimitives.ReadDoubleLittleEndian(span[16..]), BinaryPrimitives.ReadDoubleLittleEndian(span[24..]),
                data[60] == 1 ? BinaryPrimitives.ReadDoubleLittleEndian(span[32..]) : null, BinaryPrimitives.ReadInt32LittleEndian(span[40..]),
                BinaryPrimitives.ReadInt64LittleEndian(span[44..]), BinaryPrimitives.ReadInt64LittleEndian(span[52..]));
        }
    }

    /// <summary>Our Avro codec as a Streamiz SerDes: the same bytes, schema ids and decoding as the executor's.</summary>
    private sealed class ContractSerDes<T>(ISchemaRegistryClient registry) : AbstractSerDes<T> where T : IAvroContract<T>
    {
        private readonly ContractSerializer<T> _serializer = new(registry);
        private readonly ContractDecoder<T> _decoder = new(registry);

        public override byte[] Serialize(T data, SerializationContext context) =>
            data is null ? null! : _serializer.Encode(data, _serializer.SchemaIdAsync(context.Topic).GetAwaiter().GetResult());

        public override T Deserialize(byte[] data, SerializationContext context) =>
            data is null ? default! : _decoder.DecodeAsync(data, context.Topic).GetAwaiter().GetResult() is { Success: true } decoded ? decoded.Value! : default!;
    }

    /// <summary>Event time is the snapshot's last_updated, as for the executor.</summary>
    private sealed class SnapshotTime : ITimestampExtractor
    {
        public long Extract(ConsumeResult<object, object> record, long partitionTime) =>
            record.Message.Value is MarketSnapshot snapshot ? snapshot.LastUpdated.ToUnixTimeMilliseconds() : partitionTime;
    }
}
