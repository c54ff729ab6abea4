using System.Globalization;
using CryptoEtl.Bench.Pipeline;

namespace CryptoEtl.Bench.Measuring;

/// <summary>
/// The same figure measured several times in one run: its median, its range, and whether the range is too wide for
/// the figure to be judged (runs that far apart would not agree with another run within <see cref="Tolerance"/>).
/// </summary>
internal sealed class Spread
{
    /// <summary>Two runs of a benchmark should agree within this share on every figure.</summary>
    public const double Tolerance = 0.15;

    public Spread(IEnumerable<double> samples)
    {
        Samples = samples.Order().ToArray();
        if (Samples.Count == 0)
        {
            throw new ArgumentException("A spread needs at least one sample.", nameof(samples));
        }
    }

    public IReadOnlyList<double> Samples { get; }

    public double Median => Percentiles.Of(Samples, 50);

    public double Min => Samples[0];

    public double Max => Samples[^1];

    /// <summary>The range as a share of the median.</summary>
    public double Relative => Median == 0 ? 0 : (Max - Min) / Math.Abs(Median);

    public bool TooNoisy => Relative > Tolerance;

    /// <summary>"median (min-max, spread n %)", each number in <paramref name="format"/>; one sample alone.</summary>
    public string ToString(string format) => Samples.Count == 1
        ? Median.ToString(format, CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture,
            $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}-{Max.ToString(format, CultureInfo.InvariantCulture)}, spread {100 * Relative:0} %{(TooNoisy ? ", too noisy to judge" : "")})");

    public override string ToString() => ToString("0.0");
}
