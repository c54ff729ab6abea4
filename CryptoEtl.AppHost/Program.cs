using CryptoEtl.AppHost.Infrastructure;
using CryptoEtl.AppHost.Publishing;
using CryptoEtl.AppHost.Running;

// The CryptoEtl app model. `dotnet run` realises it embedded (the default: the infrastructure as .NET processes) or,
// with `--mode containers`, as containers (PipelineRealisation); `--publisher manifest` and the publish-compose step
// describe the containers.
var builder = DistributedApplication.CreateBuilder(args);
// `dotnet run` keeps the caller's working directory (so relative --state-dir and --summary are the caller's): the
// settings file is found next to the project instead.
builder.Configuration.AddJsonFile(Path.Combine(builder.AppHostDirectory, "appsettings.json"), optional: true);
var problem = !PipelineRunOptions.TryRead(builder, out var run, out var invalid) ? invalid
    : builder.ExecutionContext.IsRunMode ? Preflight.Problem(builder.Configuration, run)
    : null;
if (problem is not null)
{
    await Console.Error.WriteLineAsync(problem);
    return 2;
}

// The public plan needs no key; Demo and Pro do (https://www.coingecko.com/en/api/pricing).
var coingeckoPlan = builder.AddParameter("coingecko-plan", "Public", publishValueAsDefault: true);
var coingeckoApiKey = builder.AddParameter("coingecko-api-key", "", secret: true).MayBeEmpty();

// The one place the mode is looked at: each realisation adds its own typed resources; the wiring below is the same.
var realisation = PipelineRealisation.For(builder, run);
var infrastructure = realisation.AddInfrastructure();

var ingest = builder.AddProject<Projects.CryptoEtl_Ingest>("ingest")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory(run)
    .WithKafka(infrastructure.Kafka)
    .WithReference(infrastructure.SchemaRegistry).WaitFor(infrastructure.SchemaRegistry)
    .WithRelationalStore(infrastructure.RunsDatabase)
    .WithReference(infrastructure.CoinGecko).WaitFor(infrastructure.CoinGecko)
    .WithEnvironment("CoinGecko__Plan", coingeckoPlan)
    .WithEnvironment("CoinGecko__ApiKey", coingeckoApiKey);
if (run.Coins is { } coins)
{
    ingest.WithEnvironment("CoinGecko__TopN", coins.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

var sparkjob = builder.AddProject<Projects.CryptoEtl_SparkJob>("sparkjob")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory(run);
realisation.WithEngine(sparkjob)
    .WithKafka(infrastructure.Kafka)
    .WithReference(infrastructure.SchemaRegistry).WaitFor(infrastructure.SchemaRegistry);

var processor = builder.AddProject<Projects.CryptoEtl_Processor>("processor")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory(run)
    .WithKafka(infrastructure.Kafka)
    .WithReference(infrastructure.SchemaRegistry).WaitFor(infrastructure.SchemaRegistry)
    .WithMarketStore(infrastructure.MarketDatabase);

var airflow = realisation.AddScheduler("airflow", ingest, processor);
realisation.AddConsoles("control-center", ingest, sparkjob, processor, airflow);

// Ctrl+C: the scheduler and Ingest stop first; the job and the loader process what Kafka acknowledged, then stop.
builder.AddRunSupervision(run, producers: [airflow, ingest], consumers: [sparkjob, processor]);

builder.AddComposePublishing();

return await builder.Build().RunSupervisedAsync();
