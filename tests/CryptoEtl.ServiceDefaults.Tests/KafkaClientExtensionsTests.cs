using Confluent.Kafka;
using CryptoEtl.Kafka;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>The Kafka client integration against the embedded broker, with an "in" and an "out" topic.</summary>
public sealed class KafkaClientExtensionsTests : IAsyncLifetime
{
    private EmbeddedInfrastructure _infrastructure = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        _infrastructure.Broker.CreateTopic("in", 1);
        _infrastructure.Broker.CreateTopic("out", 1);
    }

    public async ValueTask DisposeAsync() => await _infrastructure.DisposeAsync();

    [Fact]
    public async Task One_call_gives_a_working_producer_and_one_kafka_readiness_check_however_many_clients_ask()
    {
        var builder = Builder();
        builder.AddKafkaProducer<string, string>("kafka");
        builder.AddKafkaProducer<byte[], byte[]>("kafka");
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration);
        using var host = builder.Build();

        var producer = host.Services.GetRequiredService<IProducer<string, string>>();
        var report = await producer.ProduceAsync("out", new Message<string, string> { Key = "k", Value = "v" }, Cancel);
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);

        Assert.Equal(PersistenceStatus.Persisted, report.Status);
        Assert.Equal("kafka", Assert.Single(checks).Name);
        Assert.Equal(HealthStatus.Healthy, health.Entries["kafka"].Status);
    }

    [Fact]
    public async Task One_call_gives_a_consumer_in_its_group_with_aspire_named_settings_and_the_kafka_check()
    {
        using (var producer = _infrastructure.RawProducer())
        {
            await producer.ProduceAsync("in", new Message<byte[]?, byte[]?> { Value = "v"u8.ToArray() }, Cancel);
        }

        var builder = Builder();
        builder.Configuration["Aspire:Confluent:Kafka:Consumer:Config:FetchWaitMaxMs"] = "50";
        var configured = new List<ConsumerConfig>();
        builder.AddKafkaConsumer<byte[]?, byte[]?>("kafka", (_, config) =>
        {
            config.GroupId = "client-test";
            configured.Add(config);
        });
        using var host = builder.Build();

        using var consumer = host.Services.GetRequiredService<IConsumer<byte[]?, byte[]?>>();
        consumer.Subscribe("in");
        var record = consumer.Consume(TimeSpan.FromSeconds(30));
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);

        Assert.Equal("v"u8.ToArray(), record?.Message.Value);
        Assert.Equal(("client-test", 50, false), (configured[0].GroupId, configured[0].FetchWaitMaxMs, configured[0].EnableAutoCommit));
        Assert.Equal(HealthStatus.Healthy, health.Entries["kafka"].Status);
        consumer.Close();
    }

    [Fact]
    public async Task The_clients_statistics_become_metrics_with_aspires_names()
    {
        var builder = Builder();
        builder.Configuration["Aspire:Confluent:Kafka:Producer:Config:StatisticsIntervalMs"] = "100";
        builder.AddKafkaProducer<string, string>("kafka");
        using var host = builder.Build();
        var producer = host.Services.GetRequiredService<IProducer<string, string>>();
        for (var i = 0; i < 3; i++)
        {
            await producer.ProduceAsync("out", new Message<string, string> { Key = "k", Value = $"v{i}" }, Cancel);
        }

        var published = new ConcurrentList<(long Value, string? Client)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KafkaClientMetrics.MeterName && instrument.Name == "messaging.publish.messages")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            published.Add((value, tags.ToArray().FirstOrDefault(t => t.Key == "messaging.client_id").Value as string)));
        listener.Start();

        await Eventually.TrueAsync(() =>
        {
            listener.RecordObservableInstruments();
            return published.Snapshot().Any(p => p.Value >= 3);
        }, TimeSpan.FromSeconds(30), "the producer's statistics to count the 3 messages");

        Assert.Contains(published.Snapshot(), p => p.Value >= 3 && p.Client == builder.Environment.ApplicationName);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("all", true)]
    public async Task A_batch_stages_producer_reports_deliveries_by_status_unless_configured_otherwise(string? configured, bool valueReported)
    {
        var builder = Builder();
        builder.Configuration["Kafka:Producer:dotnet.producer.delivery.report.fields"] = configured;
        builder.AddKafkaProducer<byte[]?, byte[]?>("kafka", configureSettings: KafkaConnection.StatusOnlyDeliveryReports);
        using var host = builder.Build();
        var producer = host.Services.GetRequiredService<IProducer<byte[]?, byte[]?>>();
        var reports = new ConcurrentList<DeliveryReport<byte[]?, byte[]?>>();

        producer.Produce("out", new Message<byte[]?, byte[]?> { Value = "v"u8.ToArray() }, reports.Add);
        producer.Flush(Cancel);

        // What the stages' handlers read is there either way: the topic, partition, offset, status and error.
        var report = Assert.Single(reports.Snapshot());
        Assert.Equal(("out", 0, PersistenceStatus.Persisted, false), (report.Topic, report.Partition.Value, report.Status, report.Error.IsError));
        Assert.True(report.Offset.Value >= 0, $"offset {report.Offset}");
        Assert.Equal(valueReported, report.Message.Value is not null);
    }

    /// <summary>A service's host builder, given the broker as its "kafka" connection string.</summary>
    private HostApplicationBuilder Builder()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:kafka"] = _infrastructure.BootstrapServers;
        return builder;
    }
}
