using System.Text;
using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>Ticks (one with a NaN price), a record that is not Avro, a group's committed offset, and the console, once per test class.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private EmbeddedInfrastructure _infrastructure = null!;
    private ChildProcess _console = null!;

    public HttpClient Http { get; private set; } = null!;

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

        // The loader's group has read one record of partition 0 and nothing of partition 1.
        using (var consumer = _infrastructure.RawConsumer("cryptoetl-processor"))
        {
            consumer.Commit([new TopicPartitionOffset(Topics.Ticks, 0, 1)]);
        }

        _console = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={_infrastructure.BootstrapServers}", $"--ConnectionStrings:schema-registry={_infrastructure.RegistryUrl}",
             "--ControlCenter:LagSampleInterval=00:00:01"]);
        Http = new HttpClient { BaseAddress = new Uri((await _console.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _console.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static PriceTick Tick(string coin, double price) => new()
    {
        CoinId = coin, Symbol = coin, EventTime = T0, Price = price, VsCurrency = "usd", Source = DataSource.Simulator, RunId = "run-1",
    };
}
