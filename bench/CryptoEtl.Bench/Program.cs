using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CryptoEtl.Bench.ControlCenter;
using CryptoEtl.Bench.Load;
using CryptoEtl.Bench.Micro;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Bench.Transform;
using CryptoEtl.Contracts;

var records = new Option<int>("--records") { Description = "Snapshots to pre-load and process.", DefaultValueFactory = _ => 1_000_000 };
var naive = new Option<int>("--naive-records") { Description = "Records for the naive per-record loop (it is slow).", DefaultValueFactory = _ => 20_000 };

var transform = new Command("transform", "Local executor throughput vs pass-through and a naive loop, plus latency.") { records, naive };
transform.SetAction(async parse =>
{
    var count = parse.GetValue(records);
    if (count < 1000)
    {
        await Console.Error.WriteLineAsync("--records must be at least 1000.");
        return 2;
    }

    var latencyRecords = Math.Min(50_000, count / 4);
    await using var environment = await BenchEnvironment.StartAsync((Topics.Snapshots, count + 2 * latencyRecords),
        [TransformBenchmark.PassThroughTopic, TransformBenchmark.NaiveTicksTopic, TransformBenchmark.NaiveCandlesTopic, .. FairCeiling.OutputTopics.Values, StreamizPeer.TicksTopic, StreamizPeer.CandlesTopic]);
    return await new TransformBenchmark(environment, count, Math.Min(parse.GetValue(naive), count), latencyRecords).RunAsync();
});

var loadRecords = new Option<int>("--records") { Description = "Tick records to pre-load and load.", DefaultValueFactory = _ => 200_000 };
var mongodb = new Option<string?>("--mongodb") { Description = "Write to this MongoDB (databases cryptoetl_bench_*, dropped before and after) instead of LiteDB files." };
var load = new Command("load", "Processor loader throughput vs the seed's insert_one per record, with store contents compared.") { loadRecords, mongodb };
load.SetAction(async parse =>
{
    var count = parse.GetValue(loadRecords);
    if (count < 1000)
    {
        await Console.Error.WriteLineAsync("--records must be at least 1000.");
        return 2;
    }

    await using var environment = await BenchEnvironment.StartAsync((Topics.Ticks, count));
    using ILoadTarget target = parse.GetValue(mongodb) is { Length: > 0 } connection ? new MongoTarget(connection) : new LiteDbTarget();
    return await new LoadBenchmark(environment, target, count).RunAsync();
});

var consoleRecords = new Option<int>("--records") { Description = "Ticks to pre-load into one topic.", DefaultValueFactory = _ => 200_000 };
var console = new Command("console", "How fast the control center's API answers with many records in a topic.") { consoleRecords };
console.SetAction(async parse =>
{
    var count = parse.GetValue(consoleRecords);
    await using var environment = await BenchEnvironment.StartAsync((Topics.Ticks, count));
    return await new ConsoleBenchmark(environment, count).RunAsync();
});

var codec = new Command("codec", "BenchmarkDotNet: one snapshot through our Avro codec and through Confluent's Avro serdes.");
codec.SetAction(_ =>
{
    // In process: the benchmark needs the registry stand-in, and the default toolchain would rebuild the whole solution.
    var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
    var summary = BenchmarkRunner.Run<CodecBenchmarks>(config);
    return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
});

var root = new RootCommand("CryptoEtl benchmarks (run with -c Release).") { transform, load, console, codec };
return await root.Parse(args).InvokeAsync();
