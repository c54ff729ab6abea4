using System.CommandLine;
using CryptoEtl.SparkJob;
using CryptoEtl.SparkJob.SparkConnect.Jobs;

var engine = new Option<string>("--engine")
{
    Description = "local: this process runs the job; spark: submit it to a Spark Connect server (Spark:Remote, default SPARK_REMOTE) and report its status until stopped.",
    DefaultValueFactory = _ => "local",
};
engine.AcceptOnlyFromAmong("local", "spark");

var stopOnExit = new Option<bool>("--stop-on-exit")
{
    Description = "With --engine spark: stop the queries on Spark when this service stops (by default they keep running).",
};

var run = new Command("run", "Run the streaming job as a service (health at /health, metrics via OpenTelemetry). Other options are host settings, e.g. --StateDir dir.")
{
    engine,
    stopOnExit,
};
run.TreatUnmatchedTokensAsErrors = false;
run.SetAction(async (parse, cancellation) =>
{
    if (parse.GetValue(engine) != "spark")
    {
        await using var local = SparkJobApp.BuildLocal([.. parse.UnmatchedTokens]);
        return await local.RunServiceAsync(cancellation);
    }

    if (SparkCommands.ServiceProblems([.. parse.UnmatchedTokens]) is { Count: > 0 } problems)
    {
        foreach (var problem in problems)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {problem}");
        }

        return SparkCommands.BadUsage;
    }

    await using var app = SparkJobApp.BuildSpark([.. parse.UnmatchedTokens], parse.GetValue(stopOnExit));
    return await app.RunServiceAsync(cancellation);
});

var root = new RootCommand("CryptoEtl's streaming job: snapshots in, ticks, OHLC candles and alerts out.") { run };
foreach (var command in SparkCommands.All())
{
    root.Subcommands.Add(command);
}

// Ctrl+C cancels the action; System.CommandLine would force exit 130 after 2 s, before flushing and checkpointing end.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(1) });
