using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoEtl.DevServices.Kafka;

namespace CryptoEtl.DevServices.Tests.Kafka;

/// <summary>The embedded broker is a real Kafka endpoint for Confluent.Kafka: idempotence, groups, commits, faults.</summary>
public sealed class EmbeddedKafkaBrokerTests : IDisposable
{
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start();

    public void Dispose() => _broker.Dispose();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void Reports_a_loopback_bootstrap_address()
    {
        Assert.Matches(@"^127\.0\.0\.1:\d+$", _broker.BootstrapServers);
    }

    [Fact]
    public void Created_topics_have_the_requested_partitions()
    {
        _broker.CreateTopic("prices", partitions: 4);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        var metadata = admin.GetMetadata("prices", TimeSpan.FromSeconds(10));

        Assert.Equal(4, Assert.Single(metadata.Topics).Partitions.Count);
    }

    [Fact]
    public async Task Idempotent_producer_and_committing_consumer_group_keep_per_key_order_across_partitions()
    {
        _broker.CreateTopic("ordered", partitions: 3);
        var sent = await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "ordered", keys: 6, perKey: 50, Cancel);

        using var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "order-check");
        consumer.Subscribe("ordered");
        var received = KafkaTestClients.ConsumeUntil(consumer, sent.Count, TimeSpan.FromSeconds(30));
        consumer.Commit();

        Assert.Equal(3, received.Select(r => r.Partition.Value).Distinct().Count());
        foreach (var byKey in received.GroupBy(r => r.Message.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition.Value).Distinct());
            var sequence = byKey.Select(r => int.Parse(r.Message.Value.Split('#')[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, 50), sequence);
        }

        var committed = consumer.Committed(TimeSpan.FromSeconds(10));
        Assert.Equal(sent.Count, committed.Sum(c => c.Offset.Value));
    }

    [Fact]
    public async Task A_second_group_member_resumes_from_the_committed_offsets_without_loss_or_repeats()
    {
        _broker.CreateTopic("handover", partitions: 3);
        var sent = await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "handover", keys: 9, perKey: 20, Cancel);

        var firstHalf = sent.Count / 2;
        List<ConsumeResult<string, string>> first;
        using (var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "handover-group"))
        {
            consumer.Subscribe("handover");
            first = KafkaTestClients.ConsumeUntil(consumer, firstHalf, TimeSpan.FromSeconds(30));
            consumer.Commit(first.GroupBy(r => r.TopicPartition)
                .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1)));
            consumer.Close();
        }

        using var second = KafkaTestClients.Consumer(_broker.BootstrapServers, "handover-group");
        second.Subscribe("handover");
        var rest = KafkaTestClients.ConsumeUntil(second, sent.Count - first.Count, TimeSpan.FromSeconds(30));
        var extra = second.Consume(TimeSpan.FromSeconds(1));

        Assert.Null(extra);
        var all = first.Concat(rest).Select(r => r.Message.Value).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(sent.Order(), all.Order());
    }

    [Fact]
    public async Task Producer_retries_while_the_broker_is_down_and_loses_nothing_once_it_is_back()
    {
        _broker.CreateTopic("outage", partitions: 2);
        using var producer = KafkaTestClients.IdempotentProducer(_broker.BootstrapServers);
        await producer.ProduceAsync("outage", new Message<string, string> { Key = "warmup", Value = "warmup#0" }, Cancel);

        _broker.TakeBrokerDown(1);
        var pending = Enumerable.Range(0, 100)
            .Select(i => producer.ProduceAsync("outage", new Message<string, string> { Key = $"k{i % 5}", Value = $"k{i % 5}#{i}" }, Cancel))
            .ToList();
        await Task.Delay(TimeSpan.FromSeconds(2), Cancel);
        Assert.All(pending, p => Assert.False(p.IsCompleted, "nothing can be acknowledged while the broker is down"));

        _broker.BringBrokerUp(1);
        var reports = await Task.WhenAll(pending);

        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        using var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "outage-check");
        consumer.Subscribe("outage");
        var received = KafkaTestClients.ConsumeUntil(consumer, 101, TimeSpan.FromSeconds(30));
        Assert.Equal(101, received.Select(r => r.Message.Value).Distinct().Count());
    }

    [Fact]
    public async Task Injected_retriable_produce_errors_are_ridden_out_without_duplicates()
    {
        _broker.CreateTopic("faulty", partitions: 1);
        _broker.FailNextRequests(KafkaApi.Produce, ErrorCode.NotEnoughReplicas, count: 3);

        var sent = await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "faulty", keys: 1, perKey: 20, Cancel);

        using var consumer = KafkaTestClients.Consumer(_broker.BootstrapServers, "faulty-check");
        consumer.Subscribe("faulty");
        var received = KafkaTestClients.ConsumeUntil(consumer, sent.Count, TimeSpan.FromSeconds(30));
        Assert.Null(consumer.Consume(TimeSpan.FromSeconds(1)));
        Assert.Equal(sent, received.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Injected_fatal_errors_reach_the_client()
    {
        _broker.CreateTopic("denied", partitions: 1);
        _broker.FailNextRequests(KafkaApi.Produce, ErrorCode.TopicAuthorizationFailed, count: 1);

        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            MessageTimeoutMs = 5000,
        }).SetLogHandler(KafkaTestClients.Quiet).Build();

        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("denied", new Message<string, string> { Key = "k", Value = "v" }, Cancel));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, failure.Error.Code);
    }

    [Fact]
    public void A_client_of_a_stopped_broker_gets_a_transport_error_not_a_hang()
    {
        var address = _broker.BootstrapServers;
        _broker.Dispose();

        var errors = new List<Error>();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = address })
            .SetErrorHandler((_, e) => { lock (errors) { errors.Add(e); } })
            .SetLogHandler(KafkaTestClients.Quiet)
            .Build();

        var started = DateTime.UtcNow;
        Assert.ThrowsAny<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(3)));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        lock (errors)
        {
            Assert.Contains(errors, e => e.Code is ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(EmbeddedKafkaBroker.MaxPartitions + 1)]
    public void Rejects_a_partition_count_out_of_range(int partitions)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _broker.CreateTopic("bad", partitions));
        Assert.Contains("partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_unknown_broker_id()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _broker.TakeBrokerDown(2));
    }

    [Fact]
    public void A_stopped_broker_refuses_further_commands()
    {
        _broker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _broker.CreateTopic("late", 1));
    }
}
