using System.CommandLine;
using System.Globalization;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Commands;

/// <summary>
/// <c>reset-offsets --group G --topic T [--partitions 0,1] (--to-earliest | --to-latest | --to-datetime T | --to-offset N) [--execute]</c>:
/// the console's offset reset from the command line, with <c>kafka-consumer-groups</c>' options. Without
/// <c>--execute</c> it is a dry run. Exit code 0 when done (or planned), 1 when Kafka refused it (the group is
/// active), 2 for a request that cannot be carried out.
/// </summary>
public static class ResetOffsetsCommand
{
    public const int Refused = 1;

    public static Command Create()
    {
        var group = new Option<string>("--group") { Description = "The consumer group.", Required = true };
        var topic = new Option<string>("--topic") { Description = "The topic whose offsets move.", Required = true };
        var partitions = new Option<int[]?>("--partitions") { Description = "Only these partitions (comma-separated); all by default.", CustomParser = r =>
            [.. r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.TryParse(p, CultureInfo.InvariantCulture, out var n) ? n : -1)] };
        var earliest = new Option<bool>("--to-earliest") { Description = "To the oldest record each partition holds." };
        var latest = new Option<bool>("--to-latest") { Description = "To the end of each partition (skip everything not read)." };
        var datetime = new Option<DateTimeOffset?>("--to-datetime") { Description = "To the first record at or after this time (ISO 8601)." };
        var offset = new Option<long?>("--to-offset") { Description = "To this offset in each partition." };
        var execute = new Option<bool>("--execute") { Description = "Commit the new offsets; without it, only show them (a dry run)." };
        var command = new Command("reset-offsets", "Move a consumer group's committed offsets on a topic. Refused while the group has active members.")
        {
            group, topic, partitions, earliest, latest, datetime, offset, execute,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellation) =>
        {
            var targets = new (bool Chosen, ResetTarget Target)[]
            {
                (parse.GetValue(earliest), ResetTarget.Earliest), (parse.GetValue(latest), ResetTarget.Latest),
                (parse.GetValue(datetime) is not null, ResetTarget.Timestamp), (parse.GetValue(offset) is not null, ResetTarget.Offset),
            }.Where(t => t.Chosen).ToList();
            var error = parse.InvocationConfiguration.Error;
            if (targets.Count != 1)
            {
                await error.WriteLineAsync("error: give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset.");
                return ToolContext.BadUsage;
            }

            var request = new OffsetResetRequest(parse.GetValue(group)!, parse.GetValue(topic)!,
                parse.GetValue(partitions) is { Length: > 0 } chosen ? chosen : null, targets[0].Target,
                parse.GetValue(datetime), parse.GetValue(offset));
            if (request.Problem() is { } problem)
            {
                await error.WriteLineAsync($"error: {problem}");
                return ToolContext.BadUsage;
            }

            using var tool = await ToolContext.CreateAsync(parse);
            if (tool is null)
            {
                return ToolContext.BadUsage;
            }

            var dryRun = !parse.GetValue(execute);
            OffsetResetResult result;
            try
            {
                using var offsets = new KafkaOffsets(tool.Kafka.ConsumerConfig("control-center-offsets", KafkaOffsets.ProbeGroup));
                result = await new GroupOffsetReset(tool.Kafka, offsets).ResetAsync(request, dryRun, cancellation);
            }
            catch (OffsetResetException e)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return ToolContext.BadUsage;
            }

            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"{"PARTITION",-10}{"COMMITTED",-12}{"NEW",-12}{"END",-12}{"LAG BEFORE",-12}LAG AFTER");
            foreach (var p in result.Partitions)
            {
                await output.WriteLineAsync($"{p.Partition,-10}{p.Committed?.ToString(CultureInfo.InvariantCulture) ?? "-",-12}{p.NewOffset,-12}{p.End,-12}{p.LagBefore,-12}{p.LagAfter}");
            }

            if (result.Refused is not null)
            {
                await error.WriteLineAsync($"refused: {result.Refused}");
                return Refused;
            }

            await output.WriteLineAsync(result.Applied
                ? $"Reset {result.Group} on {result.Topic}: lag {result.LagBefore} -> {result.LagAfter}."
                : $"Dry run: {result.Group} on {result.Topic} would go from lag {result.LagBefore} to {result.LagAfter}; add --execute to commit.");
            return 0;
        });
        return command;
    }
}
