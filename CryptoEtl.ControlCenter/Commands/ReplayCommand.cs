using System.CommandLine;
using Confluent.SchemaRegistry;
using CryptoEtl.ControlCenter.Replay;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Commands;

/// <summary>
/// <c>replay [--stage S] [--reason R] [--include-failed-replays] [--dry-run]</c>: dead letters back to their topics, from
/// the command line. Kafka and the registry come from <c>ConnectionStrings:kafka</c> and <c>ConnectionStrings:schema-registry</c>
/// (environment, or <c>--ConnectionStrings:kafka=host:port</c>).
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var stage = new Option<string?>("--stage") { Description = "Only dead letters of this stage (ingest, transform, load)." };
        var reason = new Option<string?>("--reason") { Description = "Only dead letters with this reason (store_unavailable, contract_violation, ...)." };
        var includeFailed = new Option<bool>("--include-failed-replays") { Description = "Also send records that failed again after an earlier replay." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be replayed; send and commit nothing." };
        var command = new Command("replay", "Send dead letters back to the topic they came from, once their cause is fixed. A second replay "
            + "with the same filter sends only what was dead-lettered since.")
        {
            stage, reason, includeFailed, dryRun,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellation) =>
        {
            using var tool = await ToolContext.CreateAsync(parse);
            if (tool is null)
            {
                return ToolContext.BadUsage;
            }

            string registryUrl;
            try
            {
                registryUrl = KafkaConnection.SchemaRegistryUrl(tool.Configuration);
            }
            catch (InvalidOperationException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return ToolContext.BadUsage;
            }

            using var registry = SchemaRegistryClientExtensions.CreateSchemaRegistryClient(registryUrl);
            var filter = new ReplayFilter(parse.GetValue(stage), parse.GetValue(reason), parse.GetValue(includeFailed));
            await parse.InvocationConfiguration.Output.WriteLineAsync($"Replaying dead letters ({filter}) from {tool.Kafka.BootstrapServers}...");
            var result = await new DeadLetterReplay(tool.Kafka, registry).ReplayAsync(filter, parse.GetValue(dryRun), cancellation);
            await parse.InvocationConfiguration.Output.WriteLineAsync(result.Describe());
            return 0;
        });
        return command;
    }
}
