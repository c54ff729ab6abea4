using CryptoEtl.AppHost.Hosting;
using CryptoEtl.AppHost.Model;

// The CryptoEtl app model. `dotnet run` realises it embedded (the default), `--mode containers` with Docker,
// `publish compose` as docker/docker-compose.yml and `--publisher manifest --output-path <file>` as an Aspire manifest.
var builder = DistributedApplication.CreateBuilder(args);

var postgresPassword = builder.AddParameter("postgres-password", secret: true);
// The public plan needs no key; Demo and Pro do (https://www.coingecko.com/en/api/pricing).
builder.AddParameter("coingecko-plan", defaultValue: "Public");
builder.AddParameter("coingecko-api-key", secret: true, defaultValue: "");

var zookeeper = builder.AddZookeeper("zookeeper");
var kafka = builder.AddKafka("kafka", zookeeper);
var schemaRegistry = builder.AddSchemaRegistry("schema-registry", kafka);
var postgres = builder.AddPostgres("postgres", postgresPassword);
var mongodb = builder.AddMongoDB("mongodb");
var spark = builder.AddSpark("spark", kafka);
var coingecko = builder.AddCoinGecko("coingecko");
var dashboard = builder.AddAspireDashboard("aspire-dashboard");

var ingest = builder.AddProject("ingest", "CryptoEtl.Ingest", hostPort: 5100)
    .WithReference(kafka).WithReference(schemaRegistry).WithReference(postgres).WithReference(coingecko)
    .WithEnvironment("CoinGecko__Plan", "{coingecko-plan.value}")
    .WithEnvironment("CoinGecko__ApiKey", "{coingecko-api-key.value}")
    .WithOtlpExporter(dashboard)
    .WaitFor(kafka).WaitFor(schemaRegistry).WaitFor(postgres);

var sparkjob = builder.AddProject("sparkjob", "CryptoEtl.SparkJob", hostPort: 5300)
    .WithArgs("run", "--engine", "spark")
    .WithReference(kafka).WithReference(schemaRegistry).WithReference(spark)
    .WithEnvironment("Spark__CheckpointDir", "/checkpoints")
    .WithOtlpExporter(dashboard)
    .WaitFor(kafka).WaitFor(schemaRegistry).WaitFor(spark);

var processor = builder.AddProject("processor", "CryptoEtl.Processor", hostPort: 5200)
    .WithReference(kafka).WithReference(schemaRegistry).WithReference(mongodb)
    .WithOtlpExporter(dashboard)
    .WaitFor(kafka).WaitFor(schemaRegistry).WaitFor(mongodb);

builder.AddControlCenter("control-center", kafka, schemaRegistry);

builder.AddAirflow("airflow", postgres, postgresPassword)
    .WithReference(ingest).WithReference(processor)
    .WithEnvironment("CRYPTOETL_INGEST_URL", "{ingest.bindings.http.url}")
    .WithEnvironment("CRYPTOETL_PROCESSOR_URL", "{processor.bindings.http.url}")
    .WaitFor(ingest).WaitFor(processor);

return await builder.Build().RunAsync();
