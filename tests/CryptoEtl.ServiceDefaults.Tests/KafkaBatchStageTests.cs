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

    [Fact]
    public void The_retry_delay_is_capped_below_the_time_a_group_waits_for_a_member_that_does_not_poll()
    {
        var validator = new TestOptionsValidator();

        Assert.Empty(validator.Problems(new TestOptions()));
        Assert.Equal(["Test:MaxRetryDelay must be between 0 and 2 minutes (got 00:05:00)."], validator.Problems(new TestOptions { MaxRetryDelay = TimeSpan.FromMinutes(5) }));
        Assert.Equal(["Test:ConsumerGroup must not be empty.", "Test:MaxBatchSize must be between 1 and 1000000 (got 0)."],
            validator.Problems(new TestOptions { ConsumerGroup = " ", MaxBatchSize = 0 }));
    }

    private static async Task ProduceAsync(EmbeddedInfrastructure infrastructure, int count)
    {
        using var producer = infrastructure.RawProducer();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition("input", new Partition(i % 2)), new Message<byte[]?, byte[]?> { Value = [(byte)i] }, TestContext.Current.CancellationToken);
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

            return NextOffsets(batch);
        }
    }
}
