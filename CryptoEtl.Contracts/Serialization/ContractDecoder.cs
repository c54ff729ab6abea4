using System.Collections.Concurrent;
using Avro;
using Avro.Generic;
using Avro.IO;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>
/// Reads a contract from raw message bytes in the Confluent wire format: the writer schema is fetched by id from the
/// registry (once per id) and resolved against the contract's own schema by Avro's rules, so older and newer writers
/// with compatible schemas are read correctly. A record that can never be read (not the wire format, an unknown schema
/// id, bytes that do not decode, a schema the contract cannot read, values that break the contract, including the
/// value contract beyond the schema (<see cref="Market.ValueContract"/>)) comes back as a failure with a reason, for the
/// dead-letter topic. A registry that cannot be reached is not the record's fault: that
/// throws, so the stage retries instead of dead-lettering.
/// </summary>
public sealed class ContractDecoder<T> where T : IAvroContract<T>
{
    private readonly ISchemaRegistryClient _registry;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<int, Task<ReaderOrProblem>> _readers = new();

    /// <param name="clock">What "now" is for the value contract's time window (default: the system clock).</param>
    public ContractDecoder(ISchemaRegistryClient registry, TimeProvider? clock = null)
    {
        _registry = registry;
        _clock = clock ?? TimeProvider.System;
    }

    public async Task<Decoded<T>> DecodeAsync(byte[]? value, string topic)
    {
        if (value is null || value.Length < WireFormat.HeaderLength || value[0] != WireFormat.MagicByte)
        {
            return Decoded<T>.Failed(DeadLetterReasons.NotWireFormat,
                value is null ? "The message has no value." : $"The value ({value.Length} bytes) does not start with the Confluent wire-format header.");
        }

        var schemaId = WireFormat.SchemaId(value);
        var reader = await ReaderFor(schemaId);
        return reader.Problem is { } problem ? problem : Decode(reader.Reader!, value);
    }

    private Decoded<T> Decode(GenericDatumReader<GenericRecord> reader, byte[] value)
    {
        GenericRecord record;
        try
        {
            using var stream = new MemoryStream(value, WireFormat.HeaderLength, value.Length - WireFormat.HeaderLength, writable: false);
            record = reader.Read(null!, new BinaryDecoder(stream));
        }
        catch (Exception e) when (e is AvroException or IOException or InvalidCastException or ArgumentException or OverflowException or IndexOutOfRangeException)
        {
            return Decoded<T>.Failed(DeadLetterReasons.Undecodable, $"Avro decoding failed: {e.Message}");
        }

        T decoded;
        try
        {
            decoded = T.FromAvro(record);
        }
        catch (AvroException e)
        {
            return Decoded<T>.Failed(DeadLetterReasons.ContractViolation, e.Message);
        }

        return T.Violation(decoded, _clock.GetUtcNow()) is { } violation
            ? Decoded<T>.Failed(DeadLetterReasons.ContractViolation, $"The {T.Schema.Name} breaks its contract: {violation}.")
            : Decoded<T>.Ok(decoded);
    }

    private Task<ReaderOrProblem> ReaderFor(int schemaId)
    {
        var reader = _readers.GetOrAdd(schemaId, Resolve);
        if (reader.IsFaulted || reader.IsCanceled)
        {
            _readers.TryRemove(schemaId, out _); // the registry was unreachable: ask again next time
        }

        return reader;
    }

    private async Task<ReaderOrProblem> Resolve(int schemaId)
    {
        string text;
        try
        {
            text = (await _registry.GetSchemaAsync(schemaId)).SchemaString;
        }
        catch (SchemaRegistryException e) when (e.ErrorCode == 40403)
        {
            return new ReaderOrProblem(null, Decoded<T>.Failed(DeadLetterReasons.UnknownSchema, $"Schema id {schemaId} is not in the registry."));
        }

        try
        {
            return new ReaderOrProblem(new GenericDatumReader<GenericRecord>(Avro.Schema.Parse(text), T.Schema), null);
        }
        catch (AvroException e)
        {
            return new ReaderOrProblem(null, Decoded<T>.Failed(DeadLetterReasons.ContractViolation,
                $"Schema id {schemaId} cannot be read as {T.Schema.Fullname}: {e.Message}"));
        }
    }

    private sealed record ReaderOrProblem(GenericDatumReader<GenericRecord>? Reader, Decoded<T>? Problem);
}

/// <summary>The outcome of decoding one record: the value, or why it cannot be read.</summary>
public readonly record struct Decoded<T>(T? Value, string? Reason, string? Error)
{
    public bool Success => Reason is null;

    public static Decoded<T> Ok(T value) => new(value, null, null);

    public static Decoded<T> Failed(string reason, string error) => new(default, reason, error);
}
