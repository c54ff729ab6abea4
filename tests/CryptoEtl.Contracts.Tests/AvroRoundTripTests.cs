using Avro.Generic;
using Avro.IO;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Contracts.Tests;

/// <summary>Every contract survives Avro binary encoding and decoding with every field set, and with every optional field null.</summary>
public sealed class AvroRoundTripTests
{
    [Fact]
    public void Market_snapshot_round_trips_with_all_fields() => Assert.Equal(ContractSamples.FullSnapshot(), RoundTrip(ContractSamples.FullSnapshot()));

    [Fact]
    public void Market_snapshot_round_trips_with_only_required_fields() => Assert.Equal(ContractSamples.MinimalSnapshot(), RoundTrip(ContractSamples.MinimalSnapshot()));

    [Fact]
    public void Price_tick_round_trips() => Assert.Equal(ContractSamples.Tick(), RoundTrip(ContractSamples.Tick()));

    [Fact]
    public void Candle_round_trips() => Assert.Equal(ContractSamples.Candle(), RoundTrip(ContractSamples.Candle()));

    [Fact]
    public void Market_alert_round_trips() => Assert.Equal(ContractSamples.Alert(), RoundTrip(ContractSamples.Alert()));

    [Fact]
    public void Dead_letter_round_trips_bytes_and_headers()
    {
        var original = ContractSamples.DeadLetter();
        var copy = RoundTrip(original);

        Assert.Equal(original.Payload, copy.Payload);
        Assert.Equal(original.Key, copy.Key);
        Assert.Equal(original.Headers.Select(h => (h.Key, h.Value)), copy.Headers.Select(h => (h.Key, h.Value)));
        Assert.Equal(original with { Payload = [], Key = null, Headers = [] }, copy with { Payload = [], Key = null, Headers = [] });
    }

    [Fact]
    public void Timestamps_keep_millisecond_precision_in_utc()
    {
        var snapshot = ContractSamples.MinimalSnapshot() with { LastUpdated = new DateTimeOffset(2024, 1, 1, 17, 12, 29, 21, TimeSpan.FromHours(2)) };

        var copy = RoundTrip(snapshot);

        Assert.Equal(snapshot.LastUpdated, copy.LastUpdated);
        Assert.Equal(TimeSpan.Zero, copy.LastUpdated.Offset);
    }

    [Fact]
    public void A_record_missing_a_required_value_is_reported_by_field()
    {
        var record = ContractSamples.Tick().ToAvro();
        record.Add("coin_id", null);

        var error = Assert.Throws<Avro.AvroException>(() => PriceTick.FromAvro(record));
        Assert.Contains("'coin_id'", error.Message, StringComparison.Ordinal);
    }

    internal static T RoundTrip<T>(T value) where T : IAvroContract<T>
    {
        var record = value.ToAvro();
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(T.Schema).Write(record, new BinaryEncoder(stream));
        stream.Position = 0;
        var read = new GenericDatumReader<GenericRecord>(T.Schema, T.Schema).Read(null!, new BinaryDecoder(stream));
        return T.FromAvro(read);
    }
}
