using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Kafka.Stages;

public static class BatchStageExtensions
{
    /// <summary>
    /// Adds the service's Kafka batch stage in one call: its options (section <paramref name="section"/>, checked by
    /// <typeparamref name="TValidator"/> at start-up), its sink (made by <paramref name="createSink"/>), its consumer (<see cref="KafkaClientExtensions.AddKafkaConsumer{TKey,TValue}"/>
    /// in the options' consumer group), the producer its sink writes outputs and dead letters with
    /// (<see cref="KafkaClientExtensions.AddKafkaProducer{TKey,TValue}"/>), the hosted service that runs it, its <see cref="BatchStageStatus"/> and <see cref="BatchStageMetrics"/>, and a
    /// readiness check named <paramref name="name"/> that is unhealthy while its batches fail.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaBatchStage<TSink, TOptions, TValidator>(this IHostApplicationBuilder builder, string name, string section,
        Func<IServiceProvider, TOptions, TSink> createSink, string connectionName = KafkaConnection.ConnectionName)
        where TSink : BatchSink
        where TOptions : BatchStageOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        builder.Services.AddValidatedOptions<TOptions, TValidator>(section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BatchStageStatus>();
        builder.Services.AddSingleton(sp => new BatchStageMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), name, sp.GetRequiredService<BatchStageStatus>()));
        builder.Services.AddSingleton(sp => createSink(sp, sp.GetRequiredService<IOptions<TOptions>>().Value));
        builder.Services.AddSingleton(sp => new KafkaBatchStage(name, sp.GetRequiredService<TSink>(), sp.GetRequiredService<IOptions<TOptions>>().Value,
            sp.GetRequiredService<BatchStageStatus>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TSink)), sp.GetRequiredService<BatchStageMetrics>()));
        builder.AddKafkaConsumer<byte[]?, byte[]?>(connectionName,
            (sp, config) => config.GroupId = sp.GetRequiredService<IOptions<TOptions>>().Value.ConsumerGroup,
            (sp, consumer) => sp.GetRequiredService<KafkaBatchStage>().Attach(consumer));
        builder.AddKafkaProducer<byte[]?, byte[]?>(connectionName, configureSettings: KafkaConnection.StatusOnlyDeliveryReports);
        builder.Services.AddSingleton(sp =>
        {
            sp.GetRequiredService<BatchStageMetrics>(); // observed from the start
            return ActivatorUtilities.CreateInstance<BatchStageService>(sp, name);
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BatchStageService>());
        builder.Services.AddHealthChecks().AddCheck<BatchStageService>(name, tags: ["ready"]);
        return builder;
    }
}
