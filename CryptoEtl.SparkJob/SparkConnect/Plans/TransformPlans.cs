using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Options;
using static CryptoEtl.SparkJob.SparkConnect.Plans.Sql;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>
/// The transformation as Spark Structured Streaming queries, one per output, each a Spark Connect plan that reads the
/// snapshots topic with Spark's Kafka source and writes its topic in the Confluent wire format:
/// <list type="bullet">
/// <item>cryptoetl-ticks (append): snapshots decoded, deduplicated on (coin, last_updated) within the watermark.</item>
/// <item>cryptoetl-candles-&lt;interval&gt; (update), one per interval: OHLC per coin and tumbling event-time window.
/// One streaming aggregation per query is the only shape every Spark version accepts in update mode.</item>
/// <item>cryptoetl-alerts (update): z-score and window-move alerts from each coin's ticks, collected per sliding window.</item>
/// <item>cryptoetl-deadletters (append): snapshots the others cannot read or that break the value contract, with the reason.</item>
/// </list>
/// docs/spark-connect.md lists where these differ from the local executor.
/// </summary>
internal sealed class TransformPlans
{
    public const string NamePrefix = "cryptoetl-";

    private const string EventTime = "event_time";
    private const string Permissive = "PERMISSIVE";

    private readonly TransformOptions _transform;
    private readonly SparkOptions _spark;
    private readonly string _kafka;
    private readonly SparkSchemas _schemas;
    private readonly IReadOnlyList<CandleInterval> _intervals;

    public TransformPlans(TransformOptions transform, SparkOptions spark, string kafkaBootstrapServers, SparkSchemas schemas)
    {
        if (Problems(transform) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(transform));
        }

        _transform = transform;
        _spark = spark;
        _kafka = kafkaBootstrapServers;
        _schemas = schemas;
        _intervals = transform.ParsedIntervals();
    }

    /// <summary>The longest candle interval: the alerts look this far back, and every other interval must divide it.</summary>
    private CandleInterval Longest => _intervals[^1];

    public static IReadOnlyList<string> QueryNames(TransformOptions transform) =>
    [
        NamePrefix + "ticks",
        .. transform.ParsedIntervals().Select(i => $"{NamePrefix}candles-{i.Name}"),
        NamePrefix + "alerts",
        NamePrefix + "deadletters",
    ];

    /// <summary>What is wrong with transform settings for the Spark engine: the transform's own rules, then what the Spark plans cannot express.</summary>
    public static IReadOnlyList<string> Problems(TransformOptions transform) => [.. transform.Problems(), .. SparkProblems(transform)];

    /// <summary>The transform settings the Spark plans cannot express (nothing to say about intervals that do not parse: the transform's rules do).</summary>
    internal static IReadOnlyList<string> SparkProblems(TransformOptions transform)
    {
        if (transform.IntervalsProblem() is not null)
        {
            return [];
        }

        var intervals = transform.ParsedIntervals();
        var longest = intervals[^1];
        return intervals.Where(i => longest.Milliseconds % i.Milliseconds != 0)
            .Select(i => $"Transform:Intervals: the Spark engine needs every interval to divide the longest ({longest.Name}); {i.Name} does not.")
            .ToList();
    }

    public IReadOnlyList<SparkQuery> Queries() =>
    [
        Ticks(),
        .. _intervals.Select(Candles),
        Alerts(),
        DeadLetters(),
    ];

    private SparkQuery Ticks()
    {
        var ticks = DistinctTicks().Select(
            Col("coin_id"), Col("symbol"), Col(EventTime), Col("price"), Col("market_cap"), Col("total_volume"), Col("market_cap_rank"),
            // The previous tick of a coin needs per-key state across micro-batches, which a plain Connect plan cannot keep.
            Expr("CAST(NULL AS DOUBLE)").As("previous_price"),
            Expr("CAST(NULL AS DOUBLE)").As("change"),
            Expr("CAST(NULL AS DOUBLE)").As("change_pct"),
            Expr("CAST(NULL AS DOUBLE)").As("log_return"),
            Col("vs_currency"), Col("source"), Col("run_id"));
        return ToKafka("ticks", "ticks", Topics.Ticks, "append", ticks, "coin_id", _schemas.Tick);
    }

    private SparkQuery Candles(CandleInterval interval)
    {
        var candles = DistinctTicks()
            .GroupBy(
                [Col("coin_id"), Fn("window", Col(EventTime), Lit(SparkDuration.Format(interval.Milliseconds)))],
                Expr("min_by(price, event_time)").As("open"),
                Expr("max(price)").As("high"),
                Expr("min(price)").As("low"),
                Expr("max_by(price, event_time)").As("close"),
                Expr("max_by(total_volume, event_time)").As("volume_24h"),
                Expr("count(*)").As("tick_count"),
                Expr("min(event_time)").As("first_event_time"),
                Expr("max(event_time)").As("last_event_time"))
            .Select(
                Col("coin_id"),
                Lit(interval.Name).As("interval"),
                Col("window.start").As("window_start"),
                Col("window.end").As("window_end"),
                Col("open"), Col("high"), Col("low"), Col("close"), Col("volume_24h"),
                Expr("CAST(tick_count AS INT)").As("tick_count"),
                Col("first_event_time"), Col("last_event_time"),
                // Update mode re-emits a window whenever it changes; it never says when a window is closed.
                Col("tick_count").As("version"),
                Lit(false).As("final"));
        return ToKafka($"candles-{interval.Name}", $"candles/{interval.Name}", Topics.Candles, "update", candles, "coin_id", _schemas.Candle);
    }

    /// <summary>
    /// Per coin, windows twice the longest interval long, sliding by it, collect the coin's ticks sorted by time. Each tick is
    /// judged in the one window whose second half holds it, so it has at least one longest interval of history before it.
    /// </summary>
    private SparkQuery Alerts()
    {
        var longest = Longest.Milliseconds;
        var n = _transform.ZScoreWindow;
        var perTick = DistinctTicks()
            .GroupBy(
                [Col("coin_id"), Fn("window", Col(EventTime), Lit(SparkDuration.Format(2 * longest)), Lit(SparkDuration.Format(longest)))],
                Expr("array_sort(collect_list(named_struct('ms', unix_millis(event_time), 'price', price)))").As("ticks"))
            .WithColumns(
                ("judged_from", Expr($"unix_millis(`window`.`end`) - {Long(longest)}")),
                ("log_returns", Expr("transform(ticks, (t, i) -> IF(i = 0, CAST(NULL AS DOUBLE), ln(t.price / ticks[i - 1].price)))")))
            .Select(Col("coin_id"), Col("judged_from"), Col("ticks"), Col("log_returns"), Fn("posexplode", Col("ticks")).As("i", "tick"))
            .Filter(Expr("tick.ms >= judged_from"))
            .WithColumns(
                (EventTime, Expr("timestamp_millis(tick.ms)")),
                ("log_return", Expr("log_returns[i]")),
                // The returns before this tick, at most the last ZScoreWindow of them (log_returns[0] is null: the first tick has none).
                ("history", Expr($"slice(log_returns, greatest(2, i - {n - 1}), greatest(0, least(i - 1, {n})))")))
            .WithColumns(
                ("n", Expr("size(history)")),
                ("mean", Expr("aggregate(history, 0D, (acc, x) -> acc + x) / greatest(size(history), 1)")))
            .WithColumns(("sd", Expr("IF(n >= 2, sqrt(aggregate(history, 0D, (acc, x) -> acc + (x - mean) * (x - mean)) / (n - 1)), NULL)")))
            .WithColumns(("z", Expr($"IF(n >= {_transform.ZScoreMinReturns} AND log_return IS NOT NULL AND sd > {Double(1e-12)}, (log_return - mean) / sd, NULL)")))
            .WithColumns([.. _intervals.Select(i => ($"bucket_{i.Name}", Expr($"tick.ms - pmod(tick.ms, {Long(i.Milliseconds)})")))])
            .WithColumns([.. _intervals.Select(i => ($"open_{i.Name}", Expr($"filter(ticks, u -> u.ms >= bucket_{i.Name})[0].price")))])
            .WithColumns([.. _intervals.Select(i => ($"move_{i.Name}", Expr($"100 * (tick.price / open_{i.Name} - 1)")))])
            .WithColumns([("zscore_alert", Expr(ZScoreAlert())), .. _intervals.Select(i => ($"window_move_{i.Name}", Expr(WindowMoveAlert(i))))]);

        var candidates = string.Join(", ", ["zscore_alert", .. _intervals.Select(i => $"window_move_{i.Name}")]);
        var alerts = perTick
            .Select(Expr($"explode(filter(array({candidates}), a -> a IS NOT NULL))").As("alert"))
            .Select(Star("alert.*"));
        return ToKafka("alerts", "alerts", Topics.Alerts, "update", alerts, "coin_id", _schemas.Alert);
    }

    private string ZScoreAlert() =>
        $"IF(abs(z) > {Double(_transform.ZScoreThreshold)}, named_struct("
        + "'alert_id', concat(coin_id, '|', CAST(tick.ms AS STRING), '|ZScore'), "
        + "'coin_id', coin_id, 'kind', 'zscore', 'event_time', event_time, 'price', tick.price, 'value', z, "
        + $"'threshold', {Double(_transform.ZScoreThreshold)}, 'interval', CAST(NULL AS STRING), 'window_start', CAST(NULL AS TIMESTAMP), "
        + $"'message', concat(coin_id, ' log return ', {Trimmed("log_return", 6)}, ' is ', {Trimmed("z", 2)}, "
        + "' standard deviations from its last ', CAST(n AS STRING), ' returns')), NULL)";

    /// <summary>The first tick (by event time) of the interval's window whose price is more than X % from the window's open.</summary>
    private string WindowMoveAlert(CandleInterval interval)
    {
        var name = interval.Name;
        var threshold = Double(_transform.WindowMovePercent);
        return $"IF(abs(move_{name}) > {threshold} "
            + $"AND NOT exists(ticks, u -> u.ms >= bucket_{name} AND u.ms < tick.ms AND abs(100 * (u.price / open_{name} - 1)) > {threshold}), named_struct("
            + $"'alert_id', concat(coin_id, '|', CAST(tick.ms AS STRING), '|WindowMove|{name}'), "
            + $"'coin_id', coin_id, 'kind', 'window_move', 'event_time', event_time, 'price', tick.price, 'value', move_{name}, "
            + $"'threshold', {threshold}, 'interval', '{name}', 'window_start', timestamp_millis(bucket_{name}), "
            + $"'message', concat(coin_id, ' moved ', IF(move_{name} < 0, '-', '+'), {Trimmed($"abs(move_{name})", 2)}, '% inside its {name} window')), NULL)";
    }

    /// <summary>.NET's "0.##" format in SQL: at most <paramref name="decimals"/> decimals, trailing zeros dropped.</summary>
    private static string Trimmed(string value, int decimals) => $"regexp_replace(format_string('%.{decimals}f', {value}), '[.]?0+$', '')";

    private SparkQuery DeadLetters()
    {
        var header = _schemas.Snapshot.WireHeader();
        var rejected = ReadSnapshots(includeHeaders: true)
            .WithColumns(("snapshot", DecodeSnapshot()))
            .WithColumns(("broken_field", Expr(SnapshotContractSql.BrokenField())))
            .WithColumns(("reason", Expr(
                $"CASE WHEN value IS NULL OR length(value) < 5 OR substring(value, 1, 1) <> X'00' THEN {Quote(DeadLetterReasons.NotWireFormat)} "
                + $"WHEN substring(value, 2, 4) <> {Binary(header.AsSpan(1))} THEN {Quote(DeadLetterReasons.UnknownSchema)} "
                + $"WHEN snapshot IS NULL THEN {Quote(DeadLetterReasons.Undecodable)} "
                + $"WHEN broken_field IS NOT NULL THEN {Quote(DeadLetterReasons.ContractViolation)} END")))
            .Filter(Expr("reason IS NOT NULL"))
            .Select(
                Lit("transform").As("stage"),
                Col("reason"),
                Expr($"CASE reason WHEN {Quote(DeadLetterReasons.NotWireFormat)} THEN 'The value does not start with the Confluent wire-format header.' "
                    + $"WHEN {Quote(DeadLetterReasons.UnknownSchema)} THEN concat('Schema id ', conv(hex(substring(value, 2, 4)), 16, 10), "
                    + $"' is not the MarketSnapshot schema this Spark plan decodes (id {_schemas.Snapshot.Id}); resubmit the job after a schema change.') "
                    + $"WHEN {Quote(DeadLetterReasons.ContractViolation)} THEN {SnapshotContractSql.Error("broken_field")} "
                    + "ELSE 'Avro decoding with the registered MarketSnapshot schema failed (Spark from_avro, PERMISSIVE mode).' END").As("error"),
                Col("topic").As("source_topic"),
                Col("partition").As("source_partition"),
                Col("offset").As("source_offset"),
                Col("key"),
                Expr("coalesce(value, X'')").As("payload"),
                Expr("coalesce(headers, CAST(array() AS ARRAY<STRUCT<key: STRING, value: BINARY>>))").As("headers"),
                Expr("current_timestamp()").As("failed_at"));
        return ToKafka("deadletters", "deadletters", Topics.DeadLetter, "append", rejected, "key", _schemas.DeadLetter);
    }

    /// <summary>The snapshots as ticks: decoded, watermarked on last_updated, and deduplicated on (coin, last_updated).</summary>
    private Relation DistinctTicks() =>
        ReadSnapshots(includeHeaders: false)
            .Filter(Expr($"substring(value, 1, 5) = {Binary(_schemas.Snapshot.WireHeader())}"))
            .Select(DecodeSnapshot().As("snapshot"))
            .Filter(Expr($"snapshot IS NOT NULL AND ({SnapshotContractSql.BrokenField()}) IS NULL"))
            .Select(
                Col("snapshot.id").As("coin_id"),
                Col("snapshot.symbol").As("symbol"),
                Col("snapshot.last_updated").As(EventTime),
                Col("snapshot.current_price").As("price"),
                Col("snapshot.market_cap").As("market_cap"),
                Col("snapshot.total_volume").As("total_volume"),
                Col("snapshot.market_cap_rank").As("market_cap_rank"),
                Col("snapshot.vs_currency").As("vs_currency"),
                Col("snapshot.source").As("source"),
                Col("snapshot.run_id").As("run_id"))
            .WithWatermark(EventTime, SparkDuration.Format(_transform.AllowedLateness))
            .DropDuplicatesWithinWatermark("coin_id", EventTime);

    /// <summary>from_avro on the bytes after the 5-byte Confluent header; PERMISSIVE: a record it cannot decode becomes null.</summary>
    private Expression DecodeSnapshot() =>
        Fn("from_avro", Fn("substring", Col("value"), Lit(6)), Lit(_schemas.Snapshot.Json), Fn("map", Lit("mode"), Lit(Permissive)));

    private Relation ReadSnapshots(bool includeHeaders)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kafka.bootstrap.servers"] = _kafka,
            ["subscribe"] = Topics.Snapshots,
            ["startingOffsets"] = _spark.StartingOffsets,
            // Records removed by retention before a query read them are gone either way; failing the query would not bring them back.
            ["failOnDataLoss"] = "false",
        };
        if (_spark.MaxOffsetsPerTrigger is { } max)
        {
            options["maxOffsetsPerTrigger"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (includeHeaders)
        {
            options["includeHeaders"] = "true";
        }

        return Relations.ReadStream("kafka", options);
    }

    /// <summary>
    /// Writes rows whose columns are exactly the contract's fields to the topic: key = the key column, value = X'00', the
    /// 4-byte schema id and to_avro(struct(*)) with the registered schema (Confluent's wire format).
    /// </summary>
    private SparkQuery ToKafka(string name, string checkpoint, string topic, string outputMode, Relation rows, string keyColumn, RegisteredSchema schema)
    {
        var records = rows.Select(
            Col(keyColumn).As("key"),
            Fn("concat", Lit(schema.WireHeader()), Fn("to_avro", Fn("struct", Star()), Lit(schema.Json))).As("value"));
        var location = $"{_spark.CheckpointDir.TrimEnd('/')}/{checkpoint}";
        var start = new WriteStreamOperationStart
        {
            Input = records,
            Format = "kafka",
            ProcessingTimeInterval = _spark.Trigger,
            OutputMode = outputMode,
            QueryName = NamePrefix + name,
        };
        start.Options["kafka.bootstrap.servers"] = _kafka;
        start.Options["topic"] = topic;
        start.Options["checkpointLocation"] = location;
        return new SparkQuery(NamePrefix + name, topic, outputMode, location, new Plan { Command = new Command { WriteStreamOperationStart = start } });
    }
}

/// <summary>One streaming query of the job: its name, the topic it writes, and the plan that starts it.</summary>
public sealed record SparkQuery(string Name, string Topic, string OutputMode, string CheckpointLocation, Plan Plan);

/// <summary>Checks at the Spark engine's start-up what its plans cannot express, beside the transform's own validator.</summary>
public sealed class SparkTransformValidator : IValidateOptions<TransformOptions>
{
    public ValidateOptionsResult Validate(string? name, TransformOptions options) =>
        TransformPlans.SparkProblems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
