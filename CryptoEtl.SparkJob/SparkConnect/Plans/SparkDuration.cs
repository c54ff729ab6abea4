using System.Diagnostics;
using System.Globalization;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>Durations the way Spark's interval strings take them (watermark delays, window lengths): "2 minutes", "1 hour".</summary>
internal static class SparkDuration
{
    private static readonly (long Milliseconds, string Unit)[] Units =
    [
        (86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1_000, "second"), (1, "millisecond"),
    ];

    /// <summary>The largest unit that states the duration exactly: 90 s is "90 seconds", 120 s "2 minutes".</summary>
    public static string Format(long milliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds);
        foreach (var (size, unit) in Units)
        {
            if (milliseconds % size == 0 && (milliseconds > 0 || size == 1))
            {
                var amount = milliseconds / size;
                return string.Create(CultureInfo.InvariantCulture, $"{amount} {unit}{(amount == 1 ? "" : "s")}");
            }
        }

        throw new UnreachableException();
    }

    public static string Format(TimeSpan duration) => Format((long)duration.TotalMilliseconds);
}
