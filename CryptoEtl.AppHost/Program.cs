using CryptoEtl.AppHost.Infrastructure;
using CryptoEtl.AppHost.Publishing;
using CryptoEtl.AppHost.Running;

// The CryptoEtl app model. `dotnet run` realises it embedded (the default: the infrastructure as .NET processes) or,
// with `--mode containers`, as containers; `--publisher manifest` and the publish-compose step describe the containers.
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

var zookeeper = builder.AddZookeeper("zookeeper");
var kafka = builder.AddKafka("kafka", zookeeper);
var schemaRegistry = builder.AddSchemaRegistry("schema-registry", kafka);
var postgres = builder.AddPostgresServer("postgres");
var cryptoetlDatabase = postgres.AddDatabase("cryptoetl-db", "cryptoetl");
var airflowDatabase = postgres.AddDatabase("airflow-db", "airflow");
var mongodb = builder.AddMongoDBServer("mongodb");
var marketDatabase = mongodb.AddMongoDatabase("market-db", "cryptoetl");
var spark = builder.AddSpark("spark");
var coingecko = builder.AddCoinGecko("coingecko");

var ingest = builder.AddProject<Projects.CryptoEtl_Ingest>("ingest")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory()
    .WithKafka(kafka)
    .WithReference(schemaRegistry).WaitFor(schemaRegistry)
    .WithRelationalStore(cryptoetlDatabase)
    .WithReference(coingecko).WaitFor(coingecko)
    .WithEnvironment("CoinGecko__Plan", coingeckoPlan)
    .WithEnvironment("CoinGecko__ApiKey", coingeckoApiKey);

var sparkjob = builder.AddProject<Projects.CryptoEtl_SparkJob>("sparkjob")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory()
    .WithSparkEngine(spark, kafka)
    .WithKafka(kafka)
    .WithReference(schemaRegistry).WaitFor(schemaRegistry);

var processor = builder.AddProject<Projects.CryptoEtl_Processor>("processor")
    .WithConnectionStringsAndServiceDiscovery()
    .WithHttpEndpoint().WithHttpHealthCheck("/health").WithCurlHealthcheck("http://localhost:8080/health")
    .WithStateDirectory()
    .WithKafka(kafka)
    .WithReference(schemaRegistry).WaitFor(schemaRegistry)
    .WithMarketStore(marketDatabase);

var airflow = builder.AddAirflow("airflow", airflowDatabase, ingest, processor);
builder.AddControlCenter("control-center", kafka, schemaRegistry, coingecko.SourceName(), ingest, sparkjob, processor, airflow);

// Ctrl+C: the scheduler and Ingest stop first; the job and the loader process what Kafka acknowledged, then stop.
builder.AddRunSupervision(producers: [airflow, ingest], consumers: [sparkjob, processor]);

builder.AddComposePublishing();
builder.RequireContainerRuntime();

return await builder.Build().RunSupervisedAsync();
