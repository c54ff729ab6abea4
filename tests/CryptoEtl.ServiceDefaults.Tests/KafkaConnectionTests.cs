using Confluent.Kafka;
using CryptoEtl.Kafka;
using Microsoft.Extensions.Configuration;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class KafkaConnectionTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build();

    [Fact]
    public void Clients_take_Aspires_sections_by_property_name_then_librdkafka_names_and_the_cluster_from_the_connection_string()
    {
        var configuration = Settings(
            ("ConnectionStrings:kafka", "broker:9092"),
            ("Aspire:Confluent:Kafka:Producer:Config:LingerMs", "50"),
            ("Aspire:Confluent:Kafka:Producer:Config:CompressionType", "Zstd"),
            ("Aspire:Confluent:Kafka:Producer:Config:BootstrapServers", "elsewhere:9092"),
            ("Kafka:Producer:message.timeout.ms", "2000"),
            ("Aspire:Confluent:Kafka:Consumer:Config:SessionTimeoutMs", "6000"),
            ("Kafka:Consumer:fetch.wait.max.ms", "20"));

        var producer = KafkaConnection.Producer(configuration, "test");
        var consumer = KafkaConnection.Consumer(configuration, "test", "group");

        Assert.Equal(("broker:9092", 50.0, CompressionType.Zstd, 2000), (producer.BootstrapServers, producer.LingerMs!.Value, producer.CompressionType!.Value, producer.MessageTimeoutMs!.Value));
        Assert.True(producer.EnableIdempotence); // defaults stay unless a setting changes them
        Assert.Equal(("broker:9092", "group", 6000, 20), (consumer.BootstrapServers, consumer.GroupId, consumer.SessionTimeoutMs!.Value, consumer.FetchWaitMaxMs!.Value));
        Assert.False(consumer.EnableAutoCommit);
    }
}
