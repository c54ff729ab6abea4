using System.Text;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>Bytes from a topic as a page may show them.</summary>
public static class PayloadPreview
{
    /// <summary>Safe to show: Avro named as such (with its schema id), text up to 200 characters, anything else as labelled hex.</summary>
    public static string Of(byte[]? payload)
    {
        if (payload is null or { Length: 0 })
        {
            return "(empty)";
        }

        if (payload is [0, _, _, _, _, ..])
        {
            return $"Avro, schema id {(payload[1] << 24) | (payload[2] << 16) | (payload[3] << 8) | payload[4]}, {payload.Length} bytes";
        }

        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
            if (!text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            {
                return text.Length <= 200 ? text : $"{text[..200]}… ({payload.Length} bytes)";
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return $"hex: {Convert.ToHexString(payload, 0, Math.Min(payload.Length, 48))}{(payload.Length > 48 ? "…" : "")} ({payload.Length} bytes)";
    }

    /// <summary>A key or header value: its text when it is printable UTF-8, else labelled hex.</summary>
    public static string? Text(byte[]? bytes) => bytes is null ? null : Of(bytes);
}
