using Confluent.SchemaRegistry;
using CryptoEtl.ServiceDefaults.Kafka;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob;

/// <summary>The streaming job as a service (health endpoints, metrics), running the local executor.</summary>
public static class SparkJobApp
{
    public static WebApplication BuildLocal(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        var configuration = builder.Configuration;
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SparkJobTelemetry>();
        builder.Services.AddOptions<TransformOptions>().BindConfiguration(TransformOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TransformOptions>>(new ProblemsValidator<TransformOptions>(o => o.Problems()));
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<LocalExecutorOptions>>(new ProblemsValidator<LocalExecutorOptions>(o => o.Problems()));
        builder.Services.AddOptions<LocalExecutorOptions>().BindConfiguration(LocalExecutorOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<ISchemaRegistryClient>(_ => new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = KafkaConnection.SchemaRegistryUrl(configuration) }));
        builder.Services.AddSingleton<LocalExecutorService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalExecutorService>());
        builder.Services.AddHealthChecks()
            .AddKafka(configuration)
            .AddCheck<LocalExecutorService>("executor", tags: ["ready"]);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>Turns a settings class's own list of problems into start-up validation.</summary>
    private sealed class ProblemsValidator<T>(Func<T, IReadOnlyList<string>> problems) : Microsoft.Extensions.Options.IValidateOptions<T> where T : class
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, T options) =>
            problems(options) is { Count: > 0 } found
                ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(found)
                : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
    }
}
