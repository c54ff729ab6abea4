using System.CommandLine;
using CryptoEtl.SparkJob;

var engine = new Option<string>("--engine")
{
    Description = "local: this process runs the job; spark: submit it to a Spark Connect server (see submit).",
    DefaultValueFactory = _ => "local",
};
engine.AcceptOnlyFromAmong("local", "spark");

var run = new Command("run", "Run the streaming job as a service (health at /health, metrics via OpenTelemetry). Other options are host settings, e.g. --StateDir dir.")
{
    engine,
};
run.TreatUnmatchedTokensAsErrors = false;
run.SetAction(async (parse, cancellation) =>
{
    if (parse.GetValue(engine) == "spark")
    {
        await Console.Error.WriteLineAsync("The spark engine runs on a Spark cluster: use 'submit --remote sc://host:15002'.");
        return 2;
    }

    await using var app = SparkJobApp.BuildLocal([.. parse.UnmatchedTokens]);
    await app.RunAsync(cancellation);
    return Environment.ExitCode;
});

var root = new RootCommand("CryptoEtl's streaming job: snapshots in, ticks, OHLC candles and alerts out.") { run };
return await root.Parse(args).InvokeAsync();
