using Confluent.Kafka;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.TestSupport;

namespace CryptoEtl.DevServices.Tests.Kafka;

/// <summary>A third-party Kafka client (Debian's kcat) sees the embedded broker as a Kafka cluster.</summary>
public sealed class KcatInteropTests : IDisposable
{
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start();

    public void Dispose() => _broker.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kcat_lists_the_topics_and_partitions()
    {
        Requires.Tool("kcat", "kcat");
        _broker.CreateTopic("crypto.listed", partitions: 5);

        var result = await ExternalTool.RunAsync("kcat", ["-b", _broker.BootstrapServers, "-L", "-J"], cancellation: Cancel);

        Assert.Equal(0, result.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        var topic = json.RootElement.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic").GetString() == "crypto.listed");
        Assert.Equal(5, topic.GetProperty("partitions").GetArrayLength());
    }

    [Fact]
    public async Task Kcat_reads_what_Confluent_Kafka_wrote()
    {
        Requires.Tool("kcat", "kcat");
        _broker.CreateTopic("to-kcat", partitions: 2);
        var sent = await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "to-kcat", keys: 4, perKey: 5, Cancel);

        var result = await ExternalTool.RunAsync("kcat",
            ["-b", _broker.BootstrapServers, "-C", "-t", "to-kcat", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n"], cancellation: Cancel);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(sent.Order(), lines.Select(l => l.Split('=')[1]).Order());
        Assert.All(lines, l => Assert.StartsWith(l.Split('=')[0] + "#", l.Split('=')[1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Confluent_Kafka_reads_what_kcat_wrote()
    {
        Requires.Tool("kcat", "kcat");
        _broker.CreateTopic("from-kcat", partitions: 3);
        var lines = Enumerable.Range(0, 30).Select(i => $"coin{i % 3}:payload-{i}").ToList();

        var result = await ExternalTool.RunAsync("kcat",
            ["-b", _broker.BootstrapServers, "-P", "-t", "from-kcat", "-K", ":"], string.Join('\n', lines) + "\n", cancellation: Cancel);
        Assert.Equal(0, result.ExitCode);

        using var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "kcat-reader");
        consumer.Subscribe("from-kcat");
        var received = KafkaTestClients.ConsumeUntil(consumer, lines.Count, TimeSpan.FromSeconds(30));

        Assert.Equal(lines.Order(), received.Select(r => $"{r.Message.Key}:{r.Message.Value}").Order());
        foreach (var byKey in received.GroupBy(r => r.Message.Key))
        {
            Assert.Equal(byKey.Select(r => r.Message.Value), lines.Where(l => l.StartsWith(byKey.Key + ":", StringComparison.Ordinal)).Select(l => l.Split(':')[1]));
        }
    }

    [Fact]
    public async Task Kcat_group_consumer_commits_offsets_the_broker_keeps()
    {
        Requires.Tool("kcat", "kcat");
        _broker.CreateTopic("kcat-group", partitions: 1);
        await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "kcat-group", keys: 1, perKey: 10, Cancel);

        var result = await ExternalTool.RunAsync("kcat",
            ["-b", _broker.BootstrapServers, "-G", "kcat-members", "-X", "auto.offset.reset=earliest", "-c", "10", "-q", "-f", "%s\n", "kcat-group"],
            timeout: TimeSpan.FromSeconds(60), cancellation: Cancel);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(10, result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "kcat-members");
        var committed = await Eventually.GetAsync(
            () => Task.FromResult(consumer.Committed([new TopicPartition("kcat-group", 0)], TimeSpan.FromSeconds(5)).Single().Offset.Value),
            offset => offset == 10, TimeSpan.FromSeconds(20), "kcat's committed offset");
        Assert.Equal(10, committed);
    }

    [Fact]
    public async Task Kcat_writes_and_reads_through_the_bootstrap_listener_on_a_port_of_our_choosing()
    {
        Requires.Tool("kcat", "kcat");
        _broker.CreateTopic("via-bootstrap", partitions: 2);
        await using var listener = new BootstrapListener(0, _broker.BootstrapServers);
        Assert.NotEqual(_broker.BootstrapServers, listener.BootstrapServers);
        var lines = Enumerable.Range(0, 20).Select(i => $"coin{i % 4}:v{i}").ToList();

        var produced = await ExternalTool.RunAsync("kcat",
            ["-b", listener.BootstrapServers, "-P", "-t", "via-bootstrap", "-K", ":"], string.Join('\n', lines) + "\n", cancellation: Cancel);
        var consumed = await ExternalTool.RunAsync("kcat",
            ["-b", listener.BootstrapServers, "-C", "-t", "via-bootstrap", "-o", "beginning", "-e", "-q", "-f", "%k:%s\n"], cancellation: Cancel);

        Assert.True(produced.ExitCode == 0, produced.Error);
        Assert.True(consumed.ExitCode == 0, consumed.Error);
        Assert.Equal(lines.Order(), consumed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }
}
