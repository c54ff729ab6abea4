using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Jobs;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob;

/// <summary>The streaming job as a service (health endpoints, metrics), running the local executor or driving Spark.</summary>
public static class SparkJobApp
{
    public static WebApplication BuildLocal(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.Services.AddSingleton<SparkJobTelemetry>();
        builder.Services.AddValidatedOptions<TransformOptions, TransformOptionsValidator>(TransformOptions.Section);
        builder.AddSchemaRegistryClient();
        builder.AddKafkaBatchStage<LocalExecutor, LocalExecutorOptions, LocalExecutorOptionsValidator>("executor", LocalExecutorOptions.Section, LocalExecutor.Create);
        builder.AddKafkaOffsets();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapDefaultEndpoints();
        app.MapKafkaLag(services => (services.GetRequiredService<IOptions<LocalExecutorOptions>>().Value.ConsumerGroup, [Topics.Snapshots]));
        return app;
    }

    /// <summary>
    /// The job on Spark: this process submits the queries to a Spark Connect server (Spark:Remote, default SPARK_REMOTE) and
    /// reports their status; the transformation runs on Spark.
    /// </summary>
    public static WebApplication BuildSpark(string[] args, bool stopOnExit)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        if (stopOnExit)
        {
            builder.Configuration[$"{SparkOptions.Section}:{nameof(SparkOptions.StopOnExit)}"] = "true";
        }

        builder.Services.AddValidatedOptions<TransformOptions, TransformOptionsValidator>(TransformOptions.Section);
        builder.Services.AddSingleton<IValidateOptions<TransformOptions>, SparkTransformValidator>();
        builder.Services.AddValidatedOptions<SparkOptions, SparkOptionsValidator>(SparkOptions.Section)
            .PostConfigure<IConfiguration>((spark, configuration) => spark.ApplyConnectionString(configuration));
        builder.AddSchemaRegistryClient();
        builder.Services.AddSingleton<SparkConnectJobService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SparkConnectJobService>());
        builder.Services.AddHealthChecks().AddCheck<SparkConnectJobService>("spark", tags: ["ready"]);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapDefaultEndpoints();
        return app;
    }
}
