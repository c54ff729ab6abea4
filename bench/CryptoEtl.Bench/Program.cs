using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CryptoEtl.Bench.ControlCenter;
using CryptoEtl.Bench.Load;
using CryptoEtl.Bench.Micro;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Bench.Reads;
using CryptoEtl.Bench.Transform;
using CryptoEtl.Contracts;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 160; // tables and progress lines unwrapped in a log
}

var records = new Option<int>("--records") { Description = "Snapshots to pre-load and process.", DefaultValueFactory = _ => 1_000_000 };
var naive = new Option<int>("--naive-records") { Description = "Records for the naive per-record loop (it is slow).", DefaultValueFactory = _ => 20_000 };
var repeats = new Option<int>("--repeats") { Description = "How many times the executor, its fair ceiling and the copy are measured, taking turns.", DefaultValueFactory = _ => 3 };

var transform = new Command("transform", "Local executor throughput vs pass-through and a naive loop, plus latency.") { records, naive, repeats };
transform.SetAction(async parse =>
{
    var count = parse.GetValue(records);
    if (count < 1000 || parse.GetValue(repeats) is < 1 or > 10)
    {
        await Console.Error.WriteLineAsync("--records must be at least 1000, --repeats 1-10.");
        return 2;
    }

    var latencyRecords = Math.Min(50_000, count / 4);
    await using var environment = await BenchEnvironment.StartAsync((Topics.Snapshots, count + 2 * latencyRecords),
        [TransformBenchmark.PassThroughTopic, TransformBenchmark.NaiveTicksTopic, TransformBenchmark.NaiveCandlesTopic, .. FairCeiling.OutputTopics.Values, StreamizPeer.TicksTopic, StreamizPeer.CandlesTopic]);
    return await new TransformBenchmark(environment, count, Math.Min(parse.GetValue(naive), count), latencyRecords, parse.GetValue(repeats)).RunAsync();
});

var loadRecords = new Option<int>("--records") { Description = "Tick records to pre-load and load.", DefaultValueFactory = _ => 200_000 };
var mongodb = new Option<string?>("--mongodb") { Description = "Write to this MongoDB (databases cryptoetl_bench_*, dropped before and after) instead of LiteDB files." };
var loadRepeats = new Option<int>("--repeats") { Description = "How many times the loader and the store alone are measured, taking turns.", DefaultValueFactory = _ => 3 };
var load = new Command("load", "Processor loader throughput vs the seed's insert_one per record, with store contents compared.") { loadRecords, mongodb, loadRepeats };
load.SetAction(async parse =>
{
    var count = parse.GetValue(loadRecords);
    if (count < 1000 || parse.GetValue(loadRepeats) is < 1 or > 10)
    {
        await Console.Error.WriteLineAsync("--records must be at least 1000, --repeats 1-10.");
        return 2;
    }

    await using var environment = await BenchEnvironment.StartAsync((Topics.Ticks, count));
    using ILoadTarget target = parse.GetValue(mongodb) is { Length: > 0 } connection ? new MongoTarget(connection) : new LiteDbTarget();
    return await new LoadBenchmark(environment, target, count, parse.GetValue(loadRepeats)).RunAsync();
});

var consoleRecords = new Option<int>("--records") { Description = "Ticks to pre-load into one topic.", DefaultValueFactory = _ => 200_000 };
var console = new Command("console", "How fast the control center's API answers with many records in a topic.") { consoleRecords };
console.SetAction(async parse =>
{
    var count = parse.GetValue(consoleRecords);
    await using var environment = await BenchEnvironment.StartAsync((Topics.Ticks, count));
    return await new ConsoleBenchmark(environment, count).RunAsync();
});

var coins = new Option<int>("--coins") { Description = "Coins the simulator serves and each Ingest run fetches (8 pages of 250 by default).", DefaultValueFactory = _ => 2000 };
var rates = new Option<int[]>("--rates")
{
    Description = "Snapshots per second to try, in order; the run stops after the first a stage cannot keep up with.",
    DefaultValueFactory = _ => [2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000],
    AllowMultipleArgumentsPerToken = true,
};
var stepSeconds = new Option<int>("--step-seconds") { Description = "How long each rate runs; its first quarter is not measured.", DefaultValueFactory = _ => 20 };
var stepRepeats = new Option<int>("--repeats") { Description = "How many times the first rate is measured (its freshness is the figure reported).", DefaultValueFactory = _ => 3 };
var pipeline = new Command("pipeline", "The whole pipeline's freshness (last_updated to the read API) at rising rates, until a stage falls behind.") { coins, rates, stepSeconds, stepRepeats };
pipeline.SetAction(async parse =>
{
    var coinCount = parse.GetValue(coins);
    var tried = parse.GetValue(rates)!;
    var step = TimeSpan.FromSeconds(parse.GetValue(stepSeconds));
    // The simulator moves every 100 ms, so at most ten runs a second find every coin moved.
    if (coinCount is < 250 or > 10_000 || tried.Length == 0 || tried.Any(r => r < 1 || r > coinCount * 10) || step < TimeSpan.FromSeconds(8) || parse.GetValue(stepRepeats) is < 1 or > 10)
    {
        await Console.Error.WriteLineAsync("--coins must be 250-10000, each of --rates 1 to ten times --coins, --step-seconds at least 8, --repeats 1-10.");
        return 2;
    }

    await using var environment = await BenchEnvironment.StartAsync((Topics.Snapshots, 0));
    return await new PipelineBenchmark(environment, new PipelineBenchmark.Settings(coinCount, tried, step, step / 4, parse.GetValue(stepRepeats))).RunAsync();
});

var sizes = new Option<int[]>("--sizes")
{
    Description = "Market sizes to measure, in coins.", DefaultValueFactory = _ => [2000, 20_000, 100_000], AllowMultipleArgumentsPerToken = true,
};
var scaleRate = new Option<int>("--rate") { Description = "Snapshots per second for the freshness step.", DefaultValueFactory = _ => 2000 };
var scale = new Command("scale", "The pipeline at market sizes: catch-up rate, freshness at a steady rate, peak RSS, checkpoint bytes per batch.") { sizes, scaleRate, stepSeconds };
scale.SetAction(async parse =>
{
    var measured = parse.GetValue(sizes)!;
    var rate = parse.GetValue(scaleRate);
    if (measured.Length == 0 || measured.Any(c => c is < 250 or > 100_000) || rate < 1 || parse.GetValue(stepSeconds) < 8)
    {
        await Console.Error.WriteLineAsync("each of --sizes must be 250-100000, --rate at least 1, --step-seconds at least 8.");
        return 2;
    }

    return await new ScaleBenchmark(new ScaleBenchmark.Settings(measured, rate, TimeSpan.FromSeconds(parse.GetValue(stepSeconds)))).RunAsync();
});

var readCoins = new Option<int>("--coins") { Description = "Coins in the store.", DefaultValueFactory = _ => 100_000 };
var reads = new Command("reads", "How fast the Processor's read API pages through a market of many coins.") { readCoins };
reads.SetAction(async parse =>
{
    var count = parse.GetValue(readCoins);
    if (count is < 1000 or > 1_000_000)
    {
        await Console.Error.WriteLineAsync("--coins must be 1000-1000000.");
        return 2;
    }

    await using var environment = await BenchEnvironment.StartAsync((Topics.Ticks, 0));
    return await new ReadsBenchmark(environment, count).RunAsync();
});

var codec = new Command("codec", "BenchmarkDotNet: one snapshot through our Avro codec and through Confluent's Avro serdes.");
codec.SetAction(_ =>
{
    // In process: the benchmark needs the registry stand-in, and the default toolchain would rebuild the whole solution.
    var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
    var summary = BenchmarkRunner.Run<CodecBenchmarks>(config);
    return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
});

var root = new RootCommand("CryptoEtl benchmarks (run with -c Release).") { transform, load, pipeline, scale, console, reads, codec };
return await root.Parse(args).InvokeAsync();
