using System.Buffers.Binary;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CandleContract = CryptoEtl.Contracts.Market.Candle;
using DeadLetterContract = CryptoEtl.Contracts.Pipeline.DeadLetter;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>A contract's Avro schema and its id in the Schema Registry (the id the Confluent wire header carries).</summary>
public sealed record RegisteredSchema(int Id, string Json)
{
    /// <summary>Magic byte 0 and the 4-byte big-endian schema id: what every value on the topic starts with.</summary>
    public byte[] WireHeader()
    {
        var header = new byte[WireFormat.HeaderLength];
        header[0] = WireFormat.MagicByte;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), Id);
        return header;
    }
}

/// <summary>The schemas the Spark plans decode (snapshots) and encode (ticks, candles, alerts, dead letters) with.</summary>
public sealed record SparkSchemas(RegisteredSchema Snapshot, RegisteredSchema Tick, RegisteredSchema Candle, RegisteredSchema Alert, RegisteredSchema DeadLetter)
{
    /// <summary>The contracts' schemas with id 0 everywhere: for printing plans without a registry. Not for a real run.</summary>
    public static SparkSchemas Placeholders() => new(
        new(0, MarketSnapshot.Schema.ToString()),
        new(0, PriceTick.Schema.ToString()),
        new(0, CandleContract.Schema.ToString()),
        new(0, MarketAlert.Schema.ToString()),
        new(0, DeadLetterContract.Schema.ToString()));

    /// <summary>
    /// Registers (or finds) each contract's schema under its topic's value subject, exactly as the C# producers do, so the
    /// ids in Spark's headers are the ones the registry hands every reader.
    /// </summary>
    public static async Task<SparkSchemas> RegisterAsync(ISchemaRegistryClient registry)
    {
        var snapshot = new ContractSerializer<MarketSnapshot>(registry).SchemaIdAsync(Topics.Snapshots);
        var tick = new ContractSerializer<PriceTick>(registry).SchemaIdAsync(Topics.Ticks);
        var candle = new ContractSerializer<CandleContract>(registry).SchemaIdAsync(Topics.Candles);
        var alert = new ContractSerializer<MarketAlert>(registry).SchemaIdAsync(Topics.Alerts);
        var deadLetter = new ContractSerializer<DeadLetterContract>(registry).SchemaIdAsync(Topics.DeadLetter);
        await Task.WhenAll(snapshot, tick, candle, alert, deadLetter);
        var placeholders = Placeholders();
        return new SparkSchemas(
            placeholders.Snapshot with { Id = await snapshot },
            placeholders.Tick with { Id = await tick },
            placeholders.Candle with { Id = await candle },
            placeholders.Alert with { Id = await alert },
            placeholders.DeadLetter with { Id = await deadLetter });
    }
}
