using Confluent.SchemaRegistry;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Ingest.CoinGecko;
using CryptoEtl.Ingest.Publishing;
using CryptoEtl.Ingest.Runs;
using CryptoEtl.Ingest.Telemetry;
using CryptoEtl.Kafka;
using CryptoEtl.Relational;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.ServiceDefaults.State;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest;

/// <summary>The Ingest service, built the same way by Program and by tests (which pass their own settings).</summary>
public static class IngestApp
{
    public const string ServiceName = "ingest";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.Services.AddOpenApi();

        var configuration = builder.Configuration;
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IngestTelemetry>();
        builder.Services.AddValidatedOptions<IngestOptions, IngestOptionsValidator>(IngestOptions.Section);
        builder.Services.AddCoinGeckoClient();

        builder.AddSchemaRegistryClient();
        builder.AddKafkaProducer<string, MarketSnapshot>(KafkaConnection.ConnectionName,
            (sp, producer) => producer.SetValueSerializer(new ContractSerializer<MarketSnapshot>(sp.GetRequiredService<ISchemaRegistryClient>())));
        builder.Services.AddSingleton<SnapshotPublisher>();
        builder.AddKafkaOffsets();
        builder.Services.AddSingleton(_ => new SourceDedupe(StateDirectory.Resolve(configuration, ServiceName)));
        builder.AddRelationalStore(ServiceName, "ingest-runs.db");
        builder.Services.AddSingleton<RunLedger>();
        builder.Services.AddScoped<IngestRunner>();
        builder.Services.AddSingleton<RunCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunCoordinator>());

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapOpenApi();
        app.MapRunsApi();

        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ILogger<RunCoordinator>>().Ready(
            app.Services.GetRequiredService<IOptions<CoinGeckoOptions>>().Value.ToString(),
            app.Services.GetRequiredService<RunLedger>().Description,
            app.Services.GetRequiredService<SourceDedupe>().FilePath));
        return app;
    }
}
