using System.Buffers.Binary;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body.</summary>
public static class WireFormat
{
    public const byte MagicByte = 0;
    public const int HeaderLength = 5;

    public static int SchemaId(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32BigEndian(message[1..HeaderLength]);
}
