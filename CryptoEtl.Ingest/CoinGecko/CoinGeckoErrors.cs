using System.Text.Json;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>A CoinGecko answer we cannot use (not JSON, an error object, the wrong shape). The call fails and is retried.</summary>
public sealed class CoinGeckoResponseException(string message) : Exception(message);

/// <summary>Reads the message out of CoinGecko's error bodies, whichever of its shapes they take.</summary>
public static class CoinGeckoErrorBody
{
    /// <summary>{"status":{"error_code":..,"error_message":..}}, {"error":".."} or {"error":{"status":{..}}}.</summary>
    public static string Describe(JsonElement body)
    {
        if (body.ValueKind == JsonValueKind.Object)
        {
            if (body.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
            {
                return $"error {Text(status, "error_code")}: {Text(status, "error_message")}";
            }

            if (body.TryGetProperty("error", out var error))
            {
                return error.ValueKind == JsonValueKind.String ? error.GetString()! : Describe(error);
            }
        }

        var raw = body.GetRawText();
        return raw.Length > 200 ? raw[..200] + "..." : raw;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "?";
}
