using System.CommandLine;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Bench.Transform;

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

    await using var environment = await BenchEnvironment.StartAsync(TransformBenchmark.PassThroughTopic, TransformBenchmark.NaiveTicksTopic, TransformBenchmark.NaiveCandlesTopic);
    return await new TransformBenchmark(environment, count, Math.Min(parse.GetValue(naive), count), Math.Min(50_000, count / 4)).RunAsync();
});

var loadRecords = new Option<int>("--records") { Description = "Tick records to pre-load and load.", DefaultValueFactory = _ => 200_000 };
var load = new Command("load", "Processor loader throughput vs the seed's insert_one per record, with store contents compared.") { loadRecords };
load.SetAction(async parse =>
{
    var count = parse.GetValue(loadRecords);
    if (count < 1000)
    {
        await Console.Error.WriteLineAsync("--records must be at least 1000.");
        return 2;
    }

    await using var environment = await BenchEnvironment.StartAsync();
    return await new CryptoEtl.Bench.Load.LoadBenchmark(environment, count).RunAsync();
});

var root = new RootCommand("CryptoEtl benchmarks (run with -c Release).") { transform, load };
return await root.Parse(args).InvokeAsync();
