using System.Buffers.Binary;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body.</summary>
public static class WireFormat
{
    public const byte MagicByte = 0;
    public const int HeaderLength = 5;

    public static int SchemaId(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32BigEndian(message[1..HeaderLength]);

    /// <summary>Writes the header (magic byte and schema id) that the Avro body follows.</summary>
    public static void WriteHeader(Stream stream, int schemaId)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        header[0] = MagicByte;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], schemaId);
        stream.Write(header);
    }
}
