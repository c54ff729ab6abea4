using System.Globalization;
using System.Text.RegularExpressions;

namespace CryptoEtl.Contracts.Market;

/// <summary>
/// The values a market record must hold beyond what its Avro schema can say: finite numbers, positive prices, event
/// times between Bitcoin's first block and a minute past now, ids every store and the read API accept, text that
/// keeps every derived record far under Kafka's message size. Ingest checks a snapshot before it publishes it; the job
/// and the loader check every record they decode (<see cref="Serialization.ContractDecoder{T}"/>) and dead-letter a
/// violation as <c>contract_violation</c>, naming the field. So no value that fits the schema but breaks these can
/// reach a window, a checkpoint or a store.
/// </summary>
public static partial class ValueContract
{
    /// <summary>Coin ids as CoinGecko writes them (lower-case slugs), as short as every store's key allows with room to spare.</summary>
    public const int MaxIdLength = 100;

    /// <summary>Symbols, names, run ids, currencies.</summary>
    public const int MaxTextLength = 256;

    /// <summary>Image URLs and alert messages.</summary>
    public const int MaxLongTextLength = 2048;

    /// <summary>No market data is older than Bitcoin's first block.</summary>
    public static readonly DateTimeOffset Earliest = new(2009, 1, 3, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// How far ahead of the checking stage's clock an event time may be (clock skew between CoinGecko and here). Further
    /// ahead, a record would drag the job's watermark into the future and make the real data after it late; kept below
    /// the job's default allowed lateness (2 minutes), a record this far ahead cannot make data of the present late.
    /// </summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(1);

    public static Checker Check(DateTimeOffset now) => new(now);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[1-9][0-9]{0,3}[smhd]$")]
    private static partial Regex IntervalPattern();

    /// <summary>Checks fields in order and keeps the first problem: "field 'current_price': NaN is not a positive finite number".</summary>
    public sealed class Checker(DateTimeOffset now)
    {
        public string? Problem { get; private set; }

        public Checker Id(string field, string value) =>
            value.Length is 0 or > MaxIdLength || !IdPattern().IsMatch(value)
                ? Fail(field, $"'{Shorten(value)}' ({value.Length} characters) is not an id: 1-{MaxIdLength} lower-case letters, digits, '.', '_' or '-'")
                : this;

        public Checker Text(string field, string? value, bool required = true, int max = MaxTextLength) => value switch
        {
            null or "" when required => Fail(field, "is empty"),
            { Length: var length } when length > max => Fail(field, $"has {length} characters, more than {max}"),
            _ => this,
        };

        public Checker Interval(string field, string? value) =>
            value is not null && !IntervalPattern().IsMatch(value) ? Fail(field, $"'{Shorten(value)}' is not an interval such as 1m, 5m or 1h") : this;

        public Checker Positive(string field, double? value) =>
            value is { } v && !(double.IsFinite(v) && v > 0) ? Fail(field, $"{Show(v)} is not a positive finite number") : this;

        public Checker NonNegative(string field, double? value) =>
            value is { } v && !(double.IsFinite(v) && v >= 0) ? Fail(field, $"{Show(v)} is not a finite number of at least 0") : this;

        public Checker Finite(string field, double? value) =>
            value is { } v && !double.IsFinite(v) ? Fail(field, $"{Show(v)} is not a finite number") : this;

        public Checker AtLeast(string field, long? value, long minimum) =>
            value < minimum ? Fail(field, $"{value} is less than {minimum}") : this;

        /// <summary>A point in time that market data can have: not before 2009, not after a few minutes from now.</summary>
        public Checker Time(string field, DateTimeOffset? value) => value switch
        {
            { } t when t < Earliest => Fail(field, $"{t:O} is before {Earliest:yyyy-MM-dd}"),
            { } t when t > now + MaxAhead => Fail(field, $"{t:O} is more than {MaxAhead.TotalSeconds:0} s after now ({now:O})"),
            _ => this,
        };

        public Checker Holds(string field, bool condition, string problem) => condition ? this : Fail(field, problem);

        private Checker Fail(string field, string problem)
        {
            Problem ??= $"field '{field}': {problem}";
            return this;
        }

        private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static string Shorten(string value) => value.Length <= 40 ? value : $"{value[..40]}…";
    }
}
