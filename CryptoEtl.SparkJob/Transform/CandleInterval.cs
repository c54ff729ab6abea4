using System.Globalization;
using System.Text.RegularExpressions;

namespace CryptoEtl.SparkJob.Transform;

/// <summary>A tumbling window length written the way people write it: 30s, 1m, 5m, 1h, 1d.</summary>
public sealed partial record CandleInterval(string Name, long Milliseconds)
{
    public static CandleInterval Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new FormatException($"'{text}' is not a candle interval; write a number and a unit: 30s, 1m, 5m, 1h, 1d.");
        }

        var amount = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value switch
        {
            "s" => 1_000L,
            "m" => 60_000L,
            "h" => 3_600_000L,
            _ => 86_400_000L,
        };
        if (amount < 1 || amount * unit > 7 * 86_400_000L)
        {
            throw new FormatException($"'{text}' must be between 1s and 7d.");
        }

        return new CandleInterval($"{amount}{match.Groups[2].Value}", amount * unit);
    }

    /// <summary>Start of the window holding <paramref name="eventTimeMs"/> (windows are aligned to the Unix epoch).</summary>
    public long WindowStart(long eventTimeMs) => eventTimeMs - (((eventTimeMs % Milliseconds) + Milliseconds) % Milliseconds);

    [GeneratedRegex("^([0-9]+)([smhd])$")]
    private static partial Regex Pattern();
}
