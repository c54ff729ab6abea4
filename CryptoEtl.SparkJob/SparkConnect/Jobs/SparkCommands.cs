using System.CommandLine;
using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>
/// The Spark Connect executor's commands: submit, status, stop and plan. Settings come from the environment and from
/// host-style arguments (--ConnectionStrings:kafka=host:port, --Transform:Intervals=1m,5m), like run's.
/// Exit codes: 0 done, 1 Spark or the registry failed, 2 bad options or settings, 3 (status) not every query is running.
/// </summary>
public static class SparkCommands
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;
    public const int NotAllRunning = 3;

    private const string PlaceholderKafka = "kafka:9092";

    public static IEnumerable<Command> All() => [Submit(), Status(), Stop(), Plan()];

    /// <summary>What is wrong with the settings of run --engine spark (one line each), before its host starts.</summary>
    public static IReadOnlyList<string> ServiceProblems(string[] arguments) => CommandContext.ServiceProblems(arguments);

    private static Command Submit()
    {
        var remote = RemoteOption();
        var checkpoint = CheckpointOption();
        var command = new Command("submit", "Start the job's streaming queries on a Spark Connect server and print their ids; queries already "
            + "running are reported, not started twice. Registers the contracts' schemas in ConnectionStrings:schema-registry; "
            + "ConnectionStrings:kafka (or Spark:KafkaBootstrapServers) must be Kafka as the Spark cluster reaches it.")
        {
            remote,
            checkpoint,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellation) => RunAsync(parse, remote, checkpoint, requireRemote: true, SubmitAsync, cancellation));
        return command;
    }

    private static Command Status()
    {
        var remote = RemoteOption();
        var command = new Command("status", "Show each of the job's streaming queries: running or not, Spark's status message and last progress.") { remote };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellation) => RunAsync(parse, remote, null, requireRemote: true, StatusAsync, cancellation));
        return command;
    }

    private static Command Stop()
    {
        var remote = RemoteOption();
        var command = new Command("stop", "Stop the job's streaming queries (their checkpoints stay: submit resumes from them).") { remote };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellation) => RunAsync(parse, remote, null, requireRemote: true, StopAsync, cancellation));
        return command;
    }

    private static Command Plan()
    {
        var checkpoint = CheckpointOption();
        var query = new Option<string?>("--query") { Description = "Print only this query (its name, e.g. cryptoetl-alerts, or alerts)." };
        var command = new Command("plan", "Print the Spark Connect plans of the job's queries as JSON (protobuf JSON, Spark's field names), without a cluster.")
        {
            checkpoint,
            query,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellation) => RunAsync(parse, null, checkpoint, requireRemote: false,
            (context, _) => Task.FromResult(PrintPlans(context, parse.GetValue(query))), cancellation));
        return command;
    }

    private static Option<string?> RemoteOption() => new("--remote")
    {
        Description = "The Spark Connect server: sc://host:15002[/;token=...;user_id=...;session_id=<uuid>] (default: Spark:Remote, else SPARK_REMOTE).",
    };

    private static Option<string?> CheckpointOption() => new("--checkpoint")
    {
        Description = "Checkpoint directory on the Spark cluster; each query uses a subdirectory (default: Spark:CheckpointDir).",
    };

    private static async Task<int> RunAsync(ParseResult parse, Option<string?>? remote, Option<string?>? checkpoint, bool requireRemote,
        Func<CommandContext, CancellationToken, Task<int>> body, CancellationToken cancellation)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var context = CommandContext.Create(parse, remote, checkpoint, requireRemote, out var problems);
        if (context is null)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"error: {problem}");
            }

            return BadUsage;
        }

        using (context)
        {
            try
            {
                return await body(context, cancellation);
            }
            catch (SparkConnectException e)
            {
                await error.WriteLineAsync($"error: {OneLine(e.Message)}");
                return Failed;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                await error.WriteLineAsync("Cancelled.");
                return Failed;
            }
        }

        static string OneLine(string message) => message.ReplaceLineEndings(" ");
    }

    private static async Task<int> SubmitAsync(CommandContext context, CancellationToken cancellation)
    {
        string kafka, registryUrl;
        try
        {
            kafka = context.Spark.KafkaBootstrapServers is { Length: > 0 } servers ? servers : KafkaConnection.BootstrapServers(context.Configuration);
            registryUrl = KafkaConnection.SchemaRegistryUrl(context.Configuration);
        }
        catch (InvalidOperationException e)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return BadUsage;
        }

        SparkSchemas schemas;
        using (var registry = SchemaRegistryClientExtensions.CreateSchemaRegistryClient(registryUrl))
        {
            try
            {
                schemas = await SparkSchemas.RegisterAsync(registry).WaitAsync(cancellation);
            }
            catch (Exception e) when (e is HttpRequestException or SchemaRegistryException or TimeoutException)
            {
                await context.Error.WriteLineAsync($"error: the Schema Registry at {registryUrl} did not register the contracts' schemas: {e.Message}");
                return Failed;
            }
        }

        var queries = new TransformPlans(context.Transform, context.Spark, kafka, schemas).Queries();
        using var session = await context.ConnectAsync(cancellation);
        var outcomes = await new SparkTransformJob(session, context.Transform, context.Spark).SubmitAsync(queries, cancellation);
        foreach (var outcome in outcomes)
        {
            await context.Output.WriteLineAsync(outcome.Result switch
            {
                SubmitResult.Started => $"started   {outcome.Name,-24} id={outcome.Id!.Id} runId={outcome.Id.RunId}",
                SubmitResult.AlreadyActive => $"running   {outcome.Name,-24} id={outcome.Id!.Id} runId={outcome.Id.RunId} (already active; not started again)",
                _ => $"failed    {outcome.Name,-24} {outcome.Error?.ReplaceLineEndings(" ")}",
            });
        }

        return outcomes.Any(o => o.Result == SubmitResult.Failed) ? Failed : Ok;
    }

    private static async Task<int> StatusAsync(CommandContext context, CancellationToken cancellation)
    {
        using var session = await context.ConnectAsync(cancellation);
        var reports = await new SparkTransformJob(session, context.Transform, context.Spark).StatusAsync(cancellation);
        foreach (var report in reports)
        {
            if (!report.Active)
            {
                await context.Output.WriteLineAsync($"{report.Name,-24} not running");
                continue;
            }

            var status = report.Status!;
            await context.Output.WriteLineAsync($"{report.Name,-24} {(status.IsActive ? "active" : "stopping")} id={report.Id!.Id} runId={report.Id.RunId}");
            await context.Output.WriteLineAsync($"    status: {status.Message} (data available: {YesNo(status.IsDataAvailable)}, trigger active: {YesNo(status.IsTriggerActive)})");
            await context.Output.WriteLineAsync($"    last progress: {report.Progress?.ToString() ?? "none yet"}");
        }

        return reports.All(r => r.Active) ? Ok : NotAllRunning;

        static string YesNo(bool value) => value ? "yes" : "no";
    }

    private static async Task<int> StopAsync(CommandContext context, CancellationToken cancellation)
    {
        using var session = await context.ConnectAsync(cancellation);
        var stopped = await new SparkTransformJob(session, context.Transform, context.Spark).StopAsync(cancellation);
        if (stopped.Count == 0)
        {
            await context.Output.WriteLineAsync($"No {TransformPlans.NamePrefix}* query is active in session {session.SessionId}.");
        }

        foreach (var query in stopped)
        {
            await context.Output.WriteLineAsync($"stopped   {query.Name,-24} id={query.Id.Id} runId={query.Id.RunId}");
        }

        return Ok;
    }

    private static int PrintPlans(CommandContext context, string? only)
    {
        var kafka = context.Spark.KafkaBootstrapServers is { Length: > 0 } servers ? servers
            : context.Configuration.GetConnectionString(KafkaConnection.ConnectionName) is { Length: > 0 } configured ? configured
            : null;
        var queries = new TransformPlans(context.Transform, context.Spark, kafka ?? PlaceholderKafka, SparkSchemas.Placeholders()).Queries();
        if (only is not null)
        {
            var name = only.StartsWith(TransformPlans.NamePrefix, StringComparison.Ordinal) ? only : TransformPlans.NamePrefix + only;
            queries = queries.Where(q => q.Name == name).ToList();
            if (queries.Count == 0)
            {
                context.Error.WriteLine($"error: no query '{only}'; the queries are {string.Join(", ", TransformPlans.QueryNames(context.Transform))}.");
                return BadUsage;
            }
        }

        context.Output.WriteLine(PlanJson.Document(queries));
        context.Error.WriteLine("note: the schema ids in these plans are placeholders (0): submit registers the contracts' schemas and uses the registry's ids.");
        if (kafka is null)
        {
            context.Error.WriteLine($"note: Kafka is the placeholder {PlaceholderKafka}; set ConnectionStrings:kafka or Spark:KafkaBootstrapServers.");
        }

        return Ok;
    }
}
