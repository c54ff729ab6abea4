using Confluent.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.ServiceDefaults.Options;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>The one batch-stage core of the local executor and the loader, with a sink that fails on demand, against the embedded broker.</summary>
public sealed partial class KafkaBatchStageTests
{
    private const string Group = "stage-test";

    /// <summary>
    /// An outage (a store that does not answer) is waited out and never makes the batch suspect; an error of another
    /// kind does, after PoisonAfterFailures tries in a row.
    /// </summary>
    [Theory]
    [InlineData(true, new[] { false, false, false, false })]
    [InlineData(false, new[] { false, false, true, true })]
    public async Task A_failed_batch_is_tried_again_with_the_same_records_and_nothing_is_committed_until_it_goes_through(bool outage, bool[] suspects)
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        infrastructure.Broker.CreateTopic("input", 2);
        await ProduceAsync(infrastructure, 10);
        var error = outage ? (Exception)new TimeoutException("the sink is down (simulated)") : new InvalidOperationException("the sink is down (simulated)");
        var sink = new FlakySink(failures: 3, error);
        var options = new TestOptions { ConsumerGroup = Group, BatchInterval = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromMilliseconds(400), PoisonAfterFailures = 2 };

        using (var running = new RunningStage(new KafkaBatchStage("test stage", sink, options, new BatchStageStatus(), NullLogger.Instance), infrastructure.ConsumerConfig(Group)))
        {
            await Eventually.TrueAsync(() => running.Status.Health.Error is not null, TimeSpan.FromSeconds(30), "the first try to fail");
            var health = running.Status.Health.Check();
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            Assert.Contains("the sink is down (simulated)", health.Description, StringComparison.Ordinal);
            Assert.Equal(10, infrastructure.Lag(Group, "input"));

            await Eventually.TrueAsync(() => infrastructure.Lag(Group, "input") == 0, TimeSpan.FromSeconds(30), "the batch to be committed once it goes through");
            Assert.Equal(HealthStatus.Healthy, running.Status.Health.Check().Status);
            Assert.Equal(0, running.Status.LagByTopic["input"]);
        }

        // Every try got the same records; the ones after the first knew why the one before failed, whether it was an
        // outage, and, unless it was, from the third (after PoisonAfterFailures failed tries) the sink is told to suspect
        // a poison record.
        var tries = sink.Tries.Snapshot().Where(t => t.Records.Count > 0).ToList();
        Assert.True(tries.Count >= 4, $"{tries.Count} tries");
        var first = tries[0].Records;
        Assert.All(tries.Take(4), t => Assert.Equal(first, t.Records));
        Assert.Equal([1, 2, 3, 4], tries.Take(4).Select(t => t.Attempt.Number));
        Assert.Null(tries[0].Attempt.LastError);
        Assert.All(tries.Skip(1).Take(3), t => Assert.Same(error, t.Attempt.LastError));
        Assert.All(tries.Skip(1).Take(3), t => Assert.Equal(outage, t.Attempt.AfterOutage));
        Assert.Equal(suspects, tries.Take(4).Select(t => t.Attempt.SuspectsPoison));
        Assert.Equal(10, tries.SelectMany(t => t.Records).Distinct().Count());
    }

    /// <summary>
    /// kill -9 of the embedded broker, as the AppHost then restarts it: it comes back empty behind the same address.
    /// The stage rejoins, reads the new log from its start (no record of it skipped), reports that the log was replaced
    /// and that nothing it had not read was lost, and commits on the new broker.
    /// </summary>
    [Fact]
    public async Task After_the_broker_comes_back_empty_the_stage_reads_the_new_log_from_its_start_and_says_what_was_lost()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false, restartable: true);
        infrastructure.Broker.CreateTopic("input", 2);
        await ProduceAsync(infrastructure, 10);
        var sink = new FlakySink(failures: 0, new InvalidOperationException("unused"));
        var options = new TestOptions { ConsumerGroup = Group, BatchInterval = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(400) };

        using var running = new RunningStage(new KafkaBatchStage("test stage", sink, options, new BatchStageStatus(), NullLogger.Instance), infrastructure.ConsumerConfig(Group));
        await Eventually.TrueAsync(() => infrastructure.Lag(Group, "input") == 0 && sink.Records.Count == 10, TimeSpan.FromSeconds(30), "the first ten records");

        await infrastructure.RestartBrokerEmpty(broker => broker.CreateTopic("input", 2));
        var restarted = System.Diagnostics.Stopwatch.StartNew();
        await ProduceAsync(infrastructure, 4, firstValue: 100);
        await Eventually.TrueAsync(() => sink.Records.Count >= 14, TimeSpan.FromSeconds(60), "the new log's four records");
        TestContext.Current.SendDiagnosticMessage($"The new log's records were read {restarted.Elapsed.TotalSeconds:0.0} s after the broker came back.");
        // The lag of the group on the new broker can be measured again within seconds (the first try may find the old connection).
        await Eventually.TrueAsync(() => infrastructure.TryLag(Group, "input") == 0, TimeSpan.FromSeconds(30), "the new log to be committed");

        Assert.Equal([100, 101, 102, 103], sink.Records.Snapshot().Skip(10).Select(r => (int)r.Value[0]).Order());
        Assert.Equal(14, sink.Records.Count);
        Assert.Contains("below this stage's position", running.Status.LastLoss?.Text, StringComparison.Ordinal);
        Assert.Equal(0, running.Status.Lost.Values.Sum());
    }

    /// <summary>
    /// The embedded broker keeps about 5 MB per partition: a stage stopped while more than that arrives finds its
    /// committed offset below the log's start. It says exactly how many records were evicted unread, and goes on from
    /// the oldest record left.
    /// </summary>
    [Fact]
    public async Task Records_evicted_past_the_committed_offset_are_counted_exactly_and_reading_goes_on_from_the_oldest_left()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        infrastructure.Broker.CreateTopic("input", 1);
        await ProduceAsync(infrastructure, 5, partitions: 1);
        var options = new TestOptions { ConsumerGroup = Group, BatchInterval = TimeSpan.FromMilliseconds(100), MaxBatchSize = 1000 };
        var first = new FlakySink(failures: 0, new InvalidOperationException("unused"));
        using (new RunningStage(new KafkaBatchStage("test stage", first, options, new BatchStageStatus(), NullLogger.Instance), infrastructure.ConsumerConfig(Group)))
        {
            await Eventually.TrueAsync(() => infrastructure.Lag(Group, "input") == 0, TimeSpan.FromSeconds(30), "the first five records to be committed");
        }

        // 8 MB of incompressible records while the stage is stopped: the broker drops the oldest to stay within its limit.
        using (var producer = infrastructure.RawProducer())
        {
            for (var i = 0; i < 80; i++)
            {
                var value = new byte[100_000];
                Random.Shared.NextBytes(value);
                await producer.ProduceAsync(new TopicPartition("input", 0), new Message<byte[]?, byte[]?> { Value = value }, TestContext.Current.CancellationToken);
            }
        }

        using var probe = infrastructure.RawConsumer("probe");
        var range = probe.QueryWatermarkOffsets(new TopicPartition("input", 0), TimeSpan.FromSeconds(10));
        Assert.True(range.Low.Value > 5, $"the broker kept everything ({range.Low}..{range.High})");

        var second = new FlakySink(failures: 0, new InvalidOperationException("unused"));
        using var running = new RunningStage(new KafkaBatchStage("test stage", second, options, new BatchStageStatus(), NullLogger.Instance), infrastructure.ConsumerConfig(Group));
        await Eventually.TrueAsync(() => infrastructure.Lag(Group, "input") == 0, TimeSpan.FromSeconds(30), "the records left to be committed");

        Assert.Equal(range.Low.Value - 5, running.Status.Lost[("input", LogBreakKind.Evicted)]);
        Assert.Contains($"at offsets 5-{range.Low.Value - 1} were evicted", running.Status.LastLoss?.Text, StringComparison.Ordinal);
        Assert.Equal(range.High.Value - range.Low.Value, second.Records.Count);
    }

    [Fact]
    public void The_retry_delay_is_capped_below_the_time_a_group_waits_for_a_member_that_does_not_poll()
    {
        var validator = new TestOptionsValidator();

        Assert.Empty(validator.Problems(new TestOptions()));
        Assert.Equal(["Test:MaxRetryDelay must be between 0 and 2 minutes (got 00:05:00)."], validator.Problems(new TestOptions { MaxRetryDelay = TimeSpan.FromMinutes(5) }));
        Assert.Equal(["Test:ConsumerGroup must not be empty.", "Test:MaxBatchSize must be between 1 and 1000000 (got 0)."],
            validator.Problems(new TestOptions { ConsumerGroup = " ", MaxBatchSize = 0 }));
    }

    private static async Task ProduceAsync(EmbeddedInfrastructure infrastructure, int count, int firstValue = 0, int partitions = 2)
    {
        using var producer = infrastructure.RawProducer();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition("input", new Partition(i % partitions)), new Message<byte[]?, byte[]?> { Value = [(byte)(firstValue + i)] },
                TestContext.Current.CancellationToken);
        }
    }

    [SettingsSection("Test")]
    private sealed class TestOptions() : BatchStageOptions("test-group");

    [OptionsValidator]
    private sealed partial class TestOptionsValidator : IValidateOptions<TestOptions>;

    /// <summary>Fails its first <c>failures</c> tries with <c>error</c>, and records what each try was given.</summary>
    private sealed class FlakySink(int failures, Exception error) : BatchSink
    {
        private int _failed;

        public ConcurrentList<(BatchAttempt Attempt, List<string> Records)> Tries { get; } = new();

        /// <summary>Every record of every try that went through.</summary>
        public ConcurrentList<(string Position, byte[] Value)> Records { get; } = new();

        public int Failures => Volatile.Read(ref _failed);

        public override IReadOnlyList<string> Subscription => ["input"];

        public override IReadOnlyDictionary<TopicPartition, long> Write(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, BatchAttempt attempt, CancellationToken cancellation)
        {
            Tries.Add((attempt, batch.Select(r => $"{r.Partition.Value}@{r.Offset.Value}").ToList()));
            if (batch.Count > 0 && Failures < failures)
            {
                Interlocked.Increment(ref _failed);
                throw error;
            }

            foreach (var record in batch)
            {
                Records.Add(($"{record.Partition.Value}@{record.Offset.Value}", record.Message.Value!));
            }

            return NextOffsets(batch);
        }
    }
}
