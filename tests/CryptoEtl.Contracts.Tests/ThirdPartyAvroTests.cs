using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Contracts.Market;
using CryptoEtl.TestSupport;

namespace CryptoEtl.Contracts.Tests;

/// <summary>
/// A third-party Avro implementation (Debian's python3-avro with python3-requests and python3-confluent-kafka) reads what
/// we write and writes what we read, going through our registry's REST API for the schemas.
/// </summary>
public sealed class ThirdPartyAvroTests : IAsyncLifetime
{
    private EmbeddedInfrastructure _infra = null!;

    public async ValueTask InitializeAsync() => _infra = await EmbeddedInfrastructure.StartAsync();

    public async ValueTask DisposeAsync() => await _infra.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Python", "avro_interop.py");

    [Fact]
    public async Task Python_avro_decodes_snapshots_we_produced_using_the_writer_schema_from_our_registry()
    {
        Requires.DebianPython("avro", "confluent_kafka", "requests");
        using (var producer = new ProducerBuilder<string, MarketSnapshot>(new ProducerConfig { BootstrapServers = _infra.BootstrapServers })
            .SetValueSerializer(new ContractSerializer<MarketSnapshot>(_infra.Registry)).Build())
        {
            await producer.ProduceAsync(Topics.Snapshots, new Message<string, MarketSnapshot> { Key = "ethereum", Value = ContractSamples.FullSnapshot() }, Cancel);
            await producer.ProduceAsync(Topics.Snapshots, new Message<string, MarketSnapshot> { Key = "tiny", Value = ContractSamples.MinimalSnapshot() }, Cancel);
        }

        var result = await ExternalTool.RunAsync(ExternalTool.DebianPython,
            [Script, "decode", "--bootstrap", _infra.BootstrapServers, "--registry", _infra.RegistryUrl, "--topic", Topics.Snapshots, "--count", "2"],
            cancellation: Cancel);

        Assert.True(result.ExitCode == 0, result.Error);
        var records = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var eth = records.Single(r => r.GetProperty("key").GetString() == "ethereum").GetProperty("value");
        Assert.Equal(2301.14, eth.GetProperty("current_price").GetDouble());
        Assert.Equal("btc", eth.GetProperty("roi").GetProperty("currency").GetString());
        Assert.Equal("simulator", eth.GetProperty("source").GetString());
        Assert.StartsWith("2024-01-01 15:12:29.021", eth.GetProperty("last_updated").GetString(), StringComparison.Ordinal);
        var tiny = records.Single(r => r.GetProperty("key").GetString() == "tiny").GetProperty("value");
        Assert.Equal(JsonValueKind.Null, tiny.GetProperty("max_supply").ValueKind);
        Assert.Equal(1e-9, tiny.GetProperty("current_price").GetDouble());
    }

    [Fact]
    public async Task We_decode_a_tick_that_python_avro_produced_with_a_schema_it_registered()
    {
        Requires.DebianPython("avro", "confluent_kafka", "requests");
        var schemaFile = Path.Combine(Path.GetTempPath(), $"pricetick-{Guid.NewGuid():N}.avsc");
        await File.WriteAllTextAsync(schemaFile, ContractSchemas.Text("PriceTick"), Cancel);
        var record = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["coin_id"] = "solana", ["symbol"] = "sol", ["event_time"] = 1704121946654L, ["price"] = 104.6, ["market_cap"] = null,
            ["total_volume"] = 1.5e9, ["market_cap_rank"] = 5, ["previous_price"] = null, ["change"] = null, ["change_pct"] = null,
            ["log_return"] = null, ["vs_currency"] = "usd", ["source"] = "coingecko", ["run_id"] = "python-run",
        });

        var result = await ExternalTool.RunAsync(ExternalTool.DebianPython,
            [Script, "produce", "--bootstrap", _infra.BootstrapServers, "--registry", _infra.RegistryUrl, "--topic", Topics.Ticks,
             "--schema-file", schemaFile, "--record", record, "--key", "solana"], cancellation: Cancel);
        Assert.True(result.ExitCode == 0, result.Error);

        var stored = Assert.Single(_infra.ReadTopic(Topics.Ticks, 1, TimeSpan.FromSeconds(20)));
        var decoded = await new ContractDecoder<PriceTick>(_infra.Registry).DecodeAsync(stored.Message.Value, Topics.Ticks);

        Assert.True(decoded.Success, decoded.Error);
        Assert.Equal(("solana", 104.6, DateTimeOffset.FromUnixTimeMilliseconds(1704121946654L), DataSource.CoinGecko, "python-run"),
            (decoded.Value!.CoinId, decoded.Value.Price, decoded.Value.EventTime, decoded.Value.Source, decoded.Value.RunId));
        Assert.Null(decoded.Value.MarketCap);
    }
}
