using CryptoEtl.SparkJob.SparkConnect.Protocol;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>Spark Connect relations as DataFrame calls: each method wraps the relation it is called on.</summary>
internal static class Relations
{
    /// <summary>spark.readStream.format(format).options(options).load()</summary>
    public static Relation ReadStream(string format, IReadOnlyDictionary<string, string> options)
    {
        var source = new Read.Types.DataSource { Format = format };
        foreach (var (key, value) in options)
        {
            source.Options[key] = value;
        }

        return new Relation { Read = new Read { DataSource = source, IsStreaming = true } };
    }

    public static Relation Filter(this Relation input, Expression condition) =>
        new() { Filter = new Filter { Input = input, Condition = condition } };

    public static Relation Select(this Relation input, params Expression[] columns)
    {
        var project = new Project { Input = input };
        project.Expressions.AddRange(columns);
        return new Relation { Project = project };
    }

    /// <summary>withColumns: adds or replaces columns; an expression sees only the input's columns, not its siblings.</summary>
    public static Relation WithColumns(this Relation input, params (string Name, Expression Value)[] columns)
    {
        var withColumns = new WithColumns { Input = input };
        withColumns.Aliases.AddRange(columns.Select(c => new Expression.Types.Alias { Expr = c.Value, Name = { c.Name } }));
        return new Relation { WithColumns = withColumns };
    }

    public static Relation WithWatermark(this Relation input, string eventTime, string delay) =>
        new() { WithWatermark = new WithWatermark { Input = input, EventTime = eventTime, DelayThreshold = delay } };

    /// <summary>dropDuplicatesWithinWatermark(columns)</summary>
    public static Relation DropDuplicatesWithinWatermark(this Relation input, params string[] columns)
    {
        var deduplicate = new Deduplicate { Input = input, WithinWatermark = true };
        deduplicate.ColumnNames.AddRange(columns);
        return new Relation { Deduplicate = deduplicate };
    }

    /// <summary>groupBy(grouping).agg(aggregates): the output holds the grouping columns, then the aggregates.</summary>
    public static Relation GroupBy(this Relation input, Expression[] grouping, params Expression[] aggregates)
    {
        var aggregate = new Aggregate { Input = input, GroupType = Aggregate.Types.GroupType.Groupby };
        aggregate.GroupingExpressions.AddRange(grouping);
        aggregate.AggregateExpressions.AddRange(aggregates);
        return new Relation { Aggregate = aggregate };
    }
}
