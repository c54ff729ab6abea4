using System.ComponentModel.DataAnnotations;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.Transform;

/// <summary>The <c>Transform</c> configuration section: the parameters of the one transformation both executors run.</summary>
[SettingsSection(Section)]
public sealed class TransformOptions : IValidatableObject
{
    public const string Section = "Transform";

    /// <summary>Candle intervals (comma-separated): tumbling event-time windows.</summary>
    public string Intervals { get; set; } = "1m,5m,1h";

    /// <summary>Watermark = newest event time seen in the partition minus this. A window is final once the watermark passes its end.</summary>
    [Duration("between 0 and 1 day", Max = "1.00:00:00")]
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

    /// <summary>What is wrong with these settings, for the executors that check them outside the options system.</summary>
    public IReadOnlyList<string> Problems() => new TransformOptionsValidator().Problems(this);

    /// <summary>The rules a single setting cannot state: the interval list's syntax, and the rules between settings.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IntervalsProblem() is { } problem)
        {
            yield return new ValidationResult(problem);
        }

        if (ZScoreWindow is < 2 or > 10_000 || ZScoreMinReturns < 2 || ZScoreMinReturns > ZScoreWindow)
        {
            yield return new ValidationResult($"Transform:ZScoreWindow must be 2-10000 and ZScoreMinReturns between 2 and it (got {ZScoreWindow}, {ZScoreMinReturns}).");
        }

        if (!(ZScoreThreshold > 0) || !(WindowMovePercent > 0))
        {
            yield return new ValidationResult("Transform:ZScoreThreshold and Transform:WindowMovePercent must be positive.");
        }
    }

    /// <summary>What is wrong with the interval list (null: it parses, non-empty, no repeats).</summary>
    public string? IntervalsProblem()
    {
        try
        {
            var intervals = ParsedIntervals();
            return intervals.Count == 0 ? "Transform:Intervals needs at least one interval, e.g. 1m,5m,1h."
                : intervals.Select(i => i.Milliseconds).Distinct().Count() != intervals.Count ? $"Transform:Intervals lists the same length twice ({Intervals})."
                : null;
        }
        catch (FormatException e)
        {
            return $"Transform:Intervals: {e.Message}";
        }
    }
}

[OptionsValidator]
public sealed partial class TransformOptionsValidator : IValidateOptions<TransformOptions>;
