using Avro;
using Avro.Generic;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>
/// A message contract: a C# record whose Avro schema is the embedded .avsc of the same name.
/// The mapping to and from <see cref="GenericRecord"/> is written next to each record; a test fails if they drift.
/// </summary>
public interface IAvroContract<TSelf> where TSelf : IAvroContract<TSelf>
{
    static abstract RecordSchema Schema { get; }

    static abstract TSelf FromAvro(GenericRecord record);

    /// <summary>The first value that breaks the contract beyond the schema (<see cref="Market.ValueContract"/>), or null.</summary>
    static abstract string? Violation(TSelf value, DateTimeOffset now);

    GenericRecord ToAvro();
}
