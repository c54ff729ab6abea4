using System.Text;
using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using Confluent.SchemaRegistry;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>
/// Ticks (one with a NaN price), a record that is not Avro, a group's committed offset, the NaN tick dead-lettered by the
/// loader, a subject with two versions, and the console (serving its page too), once per test class.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private EmbeddedInfrastructure _infrastructure = null!;
    private ChildProcess _console = null!;

    public const string DiffSubject = "example-value";

    public HttpClient Http { get; private set; } = null!;

    public EmbeddedInfrastructure Infrastructure => _infrastructure;

    public async ValueTask InitializeAsync()
    {
        _infrastructure = await EmbeddedInfrastructure.StartAsync();
        var serializer = new ContractSerializer<PriceTick>(_infrastructure.Registry);
        using var producer = _infrastructure.RawProducer();
        foreach (var (coin, price, partition) in new[] { ("btc", 100.0, 0), ("eth", 10.0, 0), ("btc", 101.0, 0), ("doge", double.NaN, 1) })
        {
            var value = await serializer.SerializeAsync(Tick(coin, price), new SerializationContext(MessageComponentType.Value, Topics.Ticks));
            await producer.ProduceAsync(new TopicPartition(Topics.Ticks, partition), new Message<byte[]?, byte[]?>
            {
                Key = Encoding.UTF8.GetBytes(coin), Value = value, Headers = [new Header("run_id", "run-1"u8.ToArray())],
            }, Cancel);
        }

        await producer.ProduceAsync(new TopicPartition(Topics.Ticks, 1), new Message<byte[]?, byte[]?> { Key = "junk"u8.ToArray(), Value = [1, 2, 3] }, Cancel);

        // The loader refused the NaN tick (doge, partition 1 offset 0).
        var deadLetters = new ContractSerializer<DeadLetter>(_infrastructure.Registry);
        var refused = new ConsumeResult<byte[]?, byte[]?>
        {
            Topic = Topics.Ticks, Partition = 1, Offset = 0,
            Message = new Message<byte[]?, byte[]?> { Key = "doge"u8.ToArray(), Value = await serializer.SerializeAsync(Tick("doge", double.NaN), new SerializationContext(MessageComponentType.Value, Topics.Ticks)) },
        };
        await producer.ProduceAsync(Topics.DeadLetter, new Message<byte[]?, byte[]?>
        {
            Key = "doge"u8.ToArray(),
            Value = await deadLetters.SerializeAsync(DeadLetters.FromMessage("load", DeadLetterReasons.ContractViolation, "price: NaN is not a finite number", refused, T0),
                new SerializationContext(MessageComponentType.Value, Topics.DeadLetter)),
        }, Cancel);

        // A subject with two versions, for the schema diff.
        await _infrastructure.Registry.RegisterSchemaAsync(DiffSubject, new Schema(ExampleSchema(), SchemaType.Avro));
        await _infrastructure.Registry.RegisterSchemaAsync(DiffSubject, new Schema(ExampleSchema("""{"name":"note","type":["null","string"],"default":null}"""), SchemaType.Avro));

        // The loader's group has read one record of partition 0 and nothing of partition 1.
        using (var consumer = _infrastructure.RawConsumer("cryptoetl-processor"))
        {
            consumer.Commit([new TopicPartitionOffset(Topics.Ticks, 0, 1)]);
        }

        _console = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={_infrastructure.BootstrapServers}", $"--ConnectionStrings:schema-registry={_infrastructure.RegistryUrl}",
             "--ControlCenter:LagSampleInterval=00:00:01", "--ControlCenter:LiveInterval=00:00:01"],
            // The page comes from the project's wwwroot through the static web assets manifest, which Development reads.
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" });
        Http = new HttpClient { BaseAddress = new Uri((await _console.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _console.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string ExampleSchema(string? extraField = null) =>
        $$"""{"type":"record","name":"Example","namespace":"cryptoetl.test","fields":[{"name":"id","type":"string"}{{(extraField is null ? "" : "," + extraField)}}]}""";

    private static PriceTick Tick(string coin, double price) => new()
    {
        CoinId = coin, Symbol = coin, EventTime = T0, Price = price, VsCurrency = "usd", Source = DataSource.Simulator, RunId = "run-1",
    };
}
