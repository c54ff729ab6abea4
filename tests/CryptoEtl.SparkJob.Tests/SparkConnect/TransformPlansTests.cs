using System.Runtime.CompilerServices;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>The Spark plans of the transformation: golden JSON, and the properties every plan must have whatever its details.</summary>
public sealed class TransformPlansTests
{
    private const string UpdateVariable = "CRYPTOETL_UPDATE_GOLDEN";

    private static readonly SparkSchemas Schemas = SparkSchemas.Placeholders() is var p
        ? p with { Snapshot = p.Snapshot with { Id = 1 }, Tick = p.Tick with { Id = 2 }, Candle = p.Candle with { Id = 3 }, Alert = p.Alert with { Id = 4 }, DeadLetter = p.DeadLetter with { Id = 5 } }
        : throw new InvalidOperationException();

    private static IReadOnlyList<SparkQuery> Queries(TransformOptions? transform = null) =>
        new TransformPlans(transform ?? new TransformOptions(), new SparkOptions { CheckpointDir = "/checkpoints" }, "kafka:29092", Schemas).Queries();

    private static SparkQuery Query(string name) => Queries().Single(q => q.Name == name);

    public static TheoryData<string> QueryNames => [.. TransformPlans.QueryNames(new TransformOptions())];

    [Theory]
    [MemberData(nameof(QueryNames))]
    public void The_plan_matches_its_golden_file(string name)
    {
        var actual = PlanJson.Format(Query(name).Plan) + "\n";
        var path = Path.Combine(GoldenDirectory(), $"{name}.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No golden file {path}. Create it with: {UpdateVariable}=1 dotnet test tests/CryptoEtl.SparkJob.Tests -- --filter-class \"*TransformPlansTests\"");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            var expectedLines = expected.Split('\n');
            var actualLines = actual.Split('\n');
            var line = Enumerable.Range(0, Math.Max(expectedLines.Length, actualLines.Length))
                .First(i => i >= expectedLines.Length || i >= actualLines.Length || expectedLines[i] != actualLines[i]);
            Assert.Fail($"The plan of {name} drifted from {path} at line {line + 1}:\n"
                + $"  golden: {(line < expectedLines.Length ? expectedLines[line].Trim() : "(end)")}\n"
                + $"  now:    {(line < actualLines.Length ? actualLines[line].Trim() : "(end)")}\n"
                + $"If the change is intended, regenerate the golden files and review the diff:\n"
                + $"  {UpdateVariable}=1 dotnet test tests/CryptoEtl.SparkJob.Tests -- --filter-class \"*TransformPlansTests\" && git diff tests/CryptoEtl.SparkJob.Tests/SparkConnect/Golden");
        }
    }

    [Fact]
    public void The_value_contract_in_sql_checks_real_snapshot_fields_and_both_the_ticks_and_the_dead_letters_apply_it()
    {
        var schemaFields = ((Avro.RecordSchema)CryptoEtl.Contracts.Market.MarketSnapshot.Schema).Fields.Select(f => f.Name).ToHashSet();
        Assert.All(SnapshotContractSql.Fields, check =>
        {
            Assert.Contains(check.Field, schemaFields);
            Assert.Contains($"snapshot.{check.Field}", check.Holds, StringComparison.Ordinal);
        });

        Assert.Contains(Texts("cryptoetl-ticks"), text => text.Contains(SnapshotContractSql.BrokenField(), StringComparison.Ordinal));
        Assert.Contains(Texts("cryptoetl-deadletters"), text => text.Contains(SnapshotContractSql.BrokenField(), StringComparison.Ordinal));
        Assert.Contains(Texts("cryptoetl-deadletters"), text => text.Contains($"THEN '{DeadLetterReasons.ContractViolation}'", StringComparison.Ordinal));

        static IEnumerable<string> Texts(string query) => Strings(JsonDocument.Parse(PlanJson.Format(Query(query).Plan)).RootElement).ToList();

        static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => [element.GetString()!],
            JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
            JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
            _ => [],
        };
    }

    [Fact]
    public void There_is_a_query_per_output_and_one_per_candle_interval_each_with_its_own_checkpoint()
    {
        var queries = Queries();

        Assert.Equal(
            [
                ("cryptoetl-ticks", Topics.Ticks, "append", "/checkpoints/ticks"),
                ("cryptoetl-candles-1m", Topics.Candles, "update", "/checkpoints/candles/1m"),
                ("cryptoetl-candles-5m", Topics.Candles, "update", "/checkpoints/candles/5m"),
                ("cryptoetl-candles-1h", Topics.Candles, "update", "/checkpoints/candles/1h"),
                ("cryptoetl-alerts", Topics.Alerts, "update", "/checkpoints/alerts"),
                ("cryptoetl-deadletters", Topics.DeadLetter, "append", "/checkpoints/deadletters"),
            ],
            queries.Select(q => (q.Name, q.Topic, q.OutputMode, q.CheckpointLocation)));
        Assert.Equal(TransformPlans.QueryNames(new TransformOptions()), queries.Select(q => q.Name));
    }

    [Theory]
    [MemberData(nameof(QueryNames))]
    public void Every_query_reads_the_snapshots_with_the_kafka_source_and_writes_its_topic_from_its_checkpoint(string name)
    {
        var query = Query(name);
        var start = query.Plan.Command.WriteStreamOperationStart;

        Assert.Equal(("kafka", name, query.OutputMode, "10 seconds"), (start.Format, start.QueryName, start.OutputMode, start.ProcessingTimeInterval));
        Assert.Equal(new Dictionary<string, string> { ["kafka.bootstrap.servers"] = "kafka:29092", ["topic"] = query.Topic, ["checkpointLocation"] = query.CheckpointLocation }, start.Options);
        var read = Assert.Single(Relations(start.Input), r => r.RelTypeCase == Relation.RelTypeOneofCase.Read).Read;
        Assert.True(read.IsStreaming);
        Assert.Equal("kafka", read.DataSource.Format);
        Assert.Equal(("kafka:29092", Topics.Snapshots, "earliest", "false"),
            (read.DataSource.Options["kafka.bootstrap.servers"], read.DataSource.Options["subscribe"], read.DataSource.Options["startingOffsets"], read.DataSource.Options["failOnDataLoss"]));
    }

    [Theory]
    [InlineData("cryptoetl-ticks", 2, "PriceTick")]
    [InlineData("cryptoetl-candles-5m", 3, "Candle")]
    [InlineData("cryptoetl-alerts", 4, "MarketAlert")]
    [InlineData("cryptoetl-deadletters", 5, "DeadLetter")]
    public void Values_are_the_confluent_header_with_the_registered_id_then_to_avro_with_the_registered_schema(string name, int schemaId, string contract)
    {
        var records = Query(name).Plan.Command.WriteStreamOperationStart.Input.Project;

        Assert.Equal("key", records.Expressions[0].Alias.Name.Single());
        var value = records.Expressions[1].Alias;
        Assert.Equal("value", value.Name.Single());
        var concat = value.Expr.UnresolvedFunction;
        Assert.Equal("concat", concat.FunctionName);
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)schemaId }, concat.Arguments[0].Literal.Binary.ToByteArray());
        var toAvro = concat.Arguments[1].UnresolvedFunction;
        Assert.Equal("to_avro", toAvro.FunctionName);
        Assert.Equal("struct", toAvro.Arguments[0].UnresolvedFunction.FunctionName);
        Assert.Equal(ContractSchemas.Load(contract).ToString(), toAvro.Arguments[1].Literal.String);
    }

    [Theory]
    [InlineData("cryptoetl-ticks", "PriceTick")]
    [InlineData("cryptoetl-candles-1h", "Candle")]
    [InlineData("cryptoetl-deadletters", "DeadLetter")]
    public void The_rows_encoded_are_exactly_the_contracts_fields_in_order(string name, string contract)
    {
        var rows = Query(name).Plan.Command.WriteStreamOperationStart.Input.Project.Input.Project;

        var columns = rows.Expressions.Select(e => e.ExprTypeCase == Expression.ExprTypeOneofCase.Alias ? e.Alias.Name.Single() : e.UnresolvedAttribute.UnparsedIdentifier);
        Assert.Equal(ContractSchemas.Load(contract).Fields.Select(f => f.Name), columns);
    }

    [Fact]
    public void Both_alert_kinds_are_built_with_exactly_the_market_alert_fields_in_order()
    {
        var fields = ContractSchemas.Load("MarketAlert").Fields.Select(f => f.Name).ToList();
        var structs = Expressions(Query("cryptoetl-alerts").Plan)
            .Where(e => e.Contains("named_struct('alert_id'", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(4, structs.Count); // zscore and a window move per interval
        foreach (var text in structs)
        {
            var start = text.IndexOf("named_struct(", StringComparison.Ordinal);
            var names = System.Text.RegularExpressions.Regex.Matches(text[start..], @"(?:named_struct\(|, )'([a-z_0-9]+)', ")
                .Select(m => m.Groups[1].Value).Where(fields.Contains).Distinct().ToList();
            Assert.Equal(fields, names);
        }
    }

    [Fact]
    public void Snapshots_are_decoded_with_from_avro_and_the_registered_schema_after_the_five_byte_header_then_deduplicated_within_the_watermark()
    {
        var relations = Relations(Query("cryptoetl-candles-1m").Plan.Command.WriteStreamOperationStart.Input).ToList();

        var header = relations.Single(r => r.Filter?.Condition.ExpressionString?.Expression.StartsWith("substring(value, 1, 5)", StringComparison.Ordinal) == true);
        Assert.Equal("substring(value, 1, 5) = X'0000000001'", header.Filter.Condition.ExpressionString.Expression);
        var decode = relations.Select(r => r.Project).First(p => p?.Expressions.Count == 1 && p.Expressions[0].Alias?.Name.Single() == "snapshot")!.Expressions[0].Alias.Expr.UnresolvedFunction;
        Assert.Equal("from_avro", decode.FunctionName);
        Assert.Equal(("substring", 6), (decode.Arguments[0].UnresolvedFunction.FunctionName, decode.Arguments[0].UnresolvedFunction.Arguments[1].Literal.Integer));
        Assert.Equal(Contracts.Market.MarketSnapshot.Schema.ToString(), decode.Arguments[1].Literal.String);
        Assert.Equal(["mode", "PERMISSIVE"], decode.Arguments[2].UnresolvedFunction.Arguments.Select(a => a.Literal.String));
        var watermark = relations.Single(r => r.RelTypeCase == Relation.RelTypeOneofCase.WithWatermark).WithWatermark;
        Assert.Equal(("event_time", "2 minutes"), (watermark.EventTime, watermark.DelayThreshold));
        var dedupe = relations.Single(r => r.RelTypeCase == Relation.RelTypeOneofCase.Deduplicate).Deduplicate;
        Assert.Equal(["coin_id", "event_time"], dedupe.ColumnNames);
        Assert.True(dedupe.WithinWatermark);
    }

    [Theory]
    [InlineData("cryptoetl-candles-1m", "1 minute")]
    [InlineData("cryptoetl-candles-5m", "5 minutes")]
    [InlineData("cryptoetl-candles-1h", "1 hour")]
    public void Candles_aggregate_per_coin_and_tumbling_window_of_their_interval(string name, string duration)
    {
        var aggregate = Relations(Query(name).Plan.Command.WriteStreamOperationStart.Input).Single(r => r.Aggregate is not null).Aggregate;

        Assert.Equal(Aggregate.Types.GroupType.Groupby, aggregate.GroupType);
        Assert.Equal("coin_id", aggregate.GroupingExpressions[0].UnresolvedAttribute.UnparsedIdentifier);
        var window = aggregate.GroupingExpressions[1].UnresolvedFunction;
        Assert.Equal(("window", "event_time", duration), (window.FunctionName, window.Arguments[0].UnresolvedAttribute.UnparsedIdentifier, window.Arguments[1].Literal.String));
        Assert.Equal(["open", "high", "low", "close", "volume_24h", "tick_count", "first_event_time", "last_event_time"], aggregate.AggregateExpressions.Select(a => a.Alias.Name.Single()));
    }

    [Fact]
    public void Alerts_collect_each_coins_ticks_in_windows_of_twice_the_longest_interval_sliding_by_it()
    {
        var aggregate = Relations(Query("cryptoetl-alerts").Plan.Command.WriteStreamOperationStart.Input).Single(r => r.Aggregate is not null).Aggregate;

        var window = aggregate.GroupingExpressions[1].UnresolvedFunction;
        Assert.Equal(["2 hours", "1 hour"], window.Arguments.Skip(1).Select(a => a.Literal.String));
    }

    [Fact]
    public void The_transform_settings_reach_the_plans()
    {
        var transform = new TransformOptions { Intervals = "30s,2m", AllowedLateness = TimeSpan.FromSeconds(90), ZScoreWindow = 12, ZScoreMinReturns = 5, ZScoreThreshold = 3.5, WindowMovePercent = 2.25 };

        var queries = Queries(transform);

        Assert.Equal(["cryptoetl-ticks", "cryptoetl-candles-30s", "cryptoetl-candles-2m", "cryptoetl-alerts", "cryptoetl-deadletters"], queries.Select(q => q.Name));
        var alerts = string.Join("\n", Expressions(queries.Single(q => q.Name == "cryptoetl-alerts").Plan));
        Assert.Contains("slice(log_returns, greatest(2, i - 11), greatest(0, least(i - 1, 12)))", alerts, StringComparison.Ordinal);
        Assert.Contains("IF(n >= 5 AND", alerts, StringComparison.Ordinal);
        Assert.Contains("IF(abs(z) > 3.5D, ", alerts, StringComparison.Ordinal);
        Assert.Contains("IF(abs(move_30s) > 2.25D AND", alerts, StringComparison.Ordinal);
        Assert.Contains("unix_millis(`window`.`end`) - 120000L", alerts, StringComparison.Ordinal);
        var watermark = Relations(queries[0].Plan.Command.WriteStreamOperationStart.Input).Single(r => r.WithWatermark is not null).WithWatermark;
        Assert.Equal("90 seconds", watermark.DelayThreshold);
    }

    [Theory]
    [InlineData("2m,3m", "(3m); 2m does not")]
    [InlineData("1m,7m,1h", "(1h); 7m does not")]
    public void Intervals_that_do_not_divide_the_longest_are_refused(string intervals, string reason)
    {
        var problems = TransformPlans.Problems(new TransformOptions { Intervals = intervals });

        Assert.Contains(problems, p => p.EndsWith(reason + ".", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => Queries(new TransformOptions { Intervals = intervals }));
    }

    [Theory]
    [InlineData(0, "0 milliseconds")]
    [InlineData(1_500, "1500 milliseconds")]
    [InlineData(60_000, "1 minute")]
    [InlineData(90_000, "90 seconds")]
    [InlineData(7_200_000, "2 hours")]
    [InlineData(86_400_000, "1 day")]
    public void Durations_are_written_as_spark_interval_strings(long milliseconds, string expected) =>
        Assert.Equal(expected, SparkDuration.Format(milliseconds));

    [Fact]
    public void The_plan_document_lists_every_query_with_its_plan()
    {
        using var document = JsonDocument.Parse(PlanJson.Document(Queries()));

        Assert.Equal(TransformPlans.QueryNames(new TransformOptions()), document.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()));
        Assert.All(document.RootElement.EnumerateArray(), q =>
            Assert.Equal(q.GetProperty("name").GetString(), q.GetProperty("plan").GetProperty("command").GetProperty("write_stream_operation_start").GetProperty("query_name").GetString()));
    }

    /// <summary>Every relation of a plan tree, outermost first.</summary>
    internal static IEnumerable<Relation> Relations(Relation relation)
    {
        for (var current = relation; current is not null;)
        {
            yield return current;
            current = current.RelTypeCase switch
            {
                Relation.RelTypeOneofCase.Project => current.Project.Input,
                Relation.RelTypeOneofCase.Filter => current.Filter.Input,
                Relation.RelTypeOneofCase.WithColumns => current.WithColumns.Input,
                Relation.RelTypeOneofCase.WithWatermark => current.WithWatermark.Input,
                Relation.RelTypeOneofCase.Deduplicate => current.Deduplicate.Input,
                Relation.RelTypeOneofCase.Aggregate => current.Aggregate.Input,
                _ => null,
            };
        }
    }

    /// <summary>The SQL text of every ExpressionString in a plan.</summary>
    private static List<string> Expressions(Plan plan)
    {
        var found = new List<string>();
        using var document = JsonDocument.Parse(PlanJson.Format(plan));
        Walk(document.RootElement);
        return found;

        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expression_string")
                    {
                        found.Add(property.Value.GetProperty("expression").GetString()!);
                    }
                    else
                    {
                        Walk(property.Value);
                    }
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }
    }

    private static string GoldenDirectory([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Golden");
}
