using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.Processor.Api;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor;

/// <summary>The Processor service (loader and read API), built the same way by Program and by tests.</summary>
public static class ProcessorApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.Services.AddOpenApi();

        builder.Services.AddSingleton<ProcessorTelemetry>();
        builder.AddMarketStore();
        builder.AddSchemaRegistryClient();
        builder.AddKafkaBatchStage<Loader, LoaderOptions, LoaderOptionsValidator>("loader", LoaderOptions.Section, Loader.Create);
        builder.AddKafkaOffsets();
        builder.Services.AddSingleton<ConsumerLagProbe>();
        builder.Services.AddSingleton(services => new MarketCapTotal(services.GetRequiredService<IMarketStore>().TotalMarketCapAsync, services.GetRequiredService<TimeProvider>()));

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseBufferedResponses("/api");
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapOpenApi();
        app.MapReadApi();
        app.MapKafkaLag(services => (services.GetRequiredService<IOptions<LoaderOptions>>().Value.ConsumerGroup, Loader.InputTopics));
        return app;
    }
}
