namespace CryptoEtl.SparkJob.Transform;

/// <summary>The <c>Transform</c> configuration section: the parameters of the one transformation both executors run.</summary>
public sealed class TransformOptions
{
    public const string Section = "Transform";

    /// <summary>Candle intervals (comma-separated): tumbling event-time windows.</summary>
    public string Intervals { get; set; } = "1m,5m,1h";

    /// <summary>Watermark = newest event time seen in the partition minus this. A window is final once the watermark passes its end.</summary>
    public TimeSpan AllowedLateness { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many recent log returns a new return is compared with.</summary>
    public int ZScoreWindow { get; set; } = 30;

    /// <summary>|z| above this raises a zscore alert.</summary>
    public double ZScoreThreshold { get; set; } = 4;

    /// <summary>Returns needed before z-scores are trusted.</summary>
    public int ZScoreMinReturns { get; set; } = 10;

    /// <summary>A move of more than this percent between a window's open and its latest price raises a window_move alert.</summary>
    public double WindowMovePercent { get; set; } = 5;

    public IReadOnlyList<CandleInterval> ParsedIntervals() =>
        Intervals.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(CandleInterval.Parse)
            .OrderBy(i => i.Milliseconds)
            .ToList();

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        try
        {
            var intervals = ParsedIntervals();
            if (intervals.Count == 0)
            {
                problems.Add("Transform:Intervals needs at least one interval, e.g. 1m,5m,1h.");
            }
            else if (intervals.Select(i => i.Milliseconds).Distinct().Count() != intervals.Count)
            {
                problems.Add($"Transform:Intervals lists the same length twice ({Intervals}).");
            }
        }
        catch (FormatException e)
        {
            problems.Add($"Transform:Intervals: {e.Message}");
        }

        if (AllowedLateness < TimeSpan.Zero || AllowedLateness > TimeSpan.FromDays(1))
        {
            problems.Add($"Transform:AllowedLateness must be between 0 and 1 day (got {AllowedLateness}).");
        }

        if (ZScoreWindow is < 2 or > 10_000 || ZScoreMinReturns < 2 || ZScoreMinReturns > ZScoreWindow)
        {
            problems.Add($"Transform:ZScoreWindow must be 2-10000 and ZScoreMinReturns between 2 and it (got {ZScoreWindow}, {ZScoreMinReturns}).");
        }

        if (!(ZScoreThreshold > 0) || !(WindowMovePercent > 0))
        {
            problems.Add("Transform:ZScoreThreshold and Transform:WindowMovePercent must be positive.");
        }

        return problems;
    }
}
