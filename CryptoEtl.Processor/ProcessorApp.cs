using Confluent.SchemaRegistry;
using CryptoEtl.Processor.Api;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.Kafka;
using CryptoEtl.ServiceDefaults.Options;
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

        var configuration = builder.Configuration;
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LoaderStatus>();
        builder.Services.AddSingleton<ProcessorTelemetry>();
        builder.Services.AddValidatedOptions<LoaderOptions>(LoaderOptions.Section, o => o.Problems());
        builder.Services.AddMarketStore(configuration);
        builder.AddSchemaRegistryClient();
        builder.Services.AddConsumerGroupLag(configuration);
        builder.Services.AddSingleton<ConsumerLagProbe>();
        builder.Services.AddSingleton<LoaderService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoaderService>());
        builder.Services.AddHealthChecks()
            .AddKafka(configuration)
            .AddCheck<LoaderService>("loader", tags: ["ready"]);

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseBufferedResponses("/api");
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapOpenApi();
        app.MapReadApi();
        app.MapConsumerGroupLag(services => (services.GetRequiredService<IOptions<LoaderOptions>>().Value.ConsumerGroup, Loader.InputTopics));
        return app;
    }
}
