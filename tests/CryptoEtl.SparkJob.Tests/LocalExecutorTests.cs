using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.TestSupport;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>The local executor through the embedded Kafka with the real serdes.</summary>
public sealed class LocalExecutorTests : IAsyncLifetime
{
    private ExecutorHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await ExecutorHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Outputs_equal_the_transformation_of_each_partition()
    {
        await _harness.ProduceAsync(Snapshots.Market(coins: 12, minutes: 40));

        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        var expected = _harness.Expected();
        (await _harness.ActualAsync()).AssertEqual(expected);
        Assert.Equal(12 * 40, expected.Ticks.Count);
        Assert.Contains(expected.Candles.Values, c => c.Final && c.Interval == "5m");
        Assert.NotEmpty(expected.Alerts);
    }

    [Fact]
    public async Task Undecodable_records_are_dead_lettered_and_the_partition_moves_on()
    {
        await _harness.ProduceAsync(Snapshots.Market(coins: 3, minutes: 2));
        await _harness.ProduceRawAsync("coin-000", "{\"id\":\"coin-000\"}"u8.ToArray());
        await _harness.ProduceRawAsync("coin-001", [0, 0, 0, 0, 77, 1, 2]);
        var later = Snapshots.Market(coins: 3, minutes: 4).Skip(6).ToList();
        await _harness.ProduceAsync(later);

        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        var letters = new List<DeadLetter>();
        foreach (var record in _harness.Infrastructure.ReadAll(Topics.DeadLetter))
        {
            letters.Add(await ExecutorHarness.Decode<DeadLetter>(record, Topics.DeadLetter, _harness.Infrastructure.Registry));
        }

        Assert.Equal([DeadLetterReasons.NotWireFormat, DeadLetterReasons.UnknownSchema], letters.Select(l => l.Reason).Order());
        Assert.All(letters, l => Assert.Equal(("transform", Topics.Snapshots), (l.Stage, l.SourceTopic)));
        Assert.Equal(12, (await _harness.ActualAsync()).Ticks.Count);
    }

    [Fact]
    public async Task Late_ticks_go_to_the_dead_letter_topic_with_reason_late()
    {
        await _harness.ProduceAsync([Snapshots.At("btc", 0, 100), Snapshots.At("btc", 600, 110), Snapshots.At("btc", 30, 50)]);

        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        var letter = await ExecutorHarness.Decode<DeadLetter>(Assert.Single(_harness.Infrastructure.ReadAll(Topics.DeadLetter)), Topics.DeadLetter, _harness.Infrastructure.Registry);
        Assert.Equal((DeadLetterReasons.Late, 2L), (letter.Reason, letter.SourceOffset!.Value));
        Assert.Equal(2, (await _harness.ActualAsync()).Ticks.Count);
    }

    [Fact]
    public async Task A_restart_resumes_from_the_checkpoint_without_reprocessing()
    {
        var market = Snapshots.Market(coins: 6, minutes: 20);
        await _harness.ProduceAsync(market.Take(60));
        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        var ticksBefore = _harness.Infrastructure.ReadAll(Topics.Ticks).Count;
        await _harness.ProduceAsync(market.Skip(60));
        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(60, ticksBefore);
        Assert.Equal(market.Count, _harness.Infrastructure.ReadAll(Topics.Ticks).Count);
        (await _harness.ActualAsync()).AssertEqual(_harness.Expected());
        Assert.NotEmpty(Directory.GetFiles(_harness.Checkpoints, "crypto.market.snapshots-*.json"));
    }

    /// <summary>
    /// A broker that comes back empty (every embedded run starts a new one too) holds a log whose offsets start again
    /// below the checkpoints: each partition is read from the new log's start, its state carries on, and the outputs
    /// are those of one uninterrupted run over both logs; the stage says what happened.
    /// </summary>
    [Fact]
    public async Task A_replaced_log_is_read_from_its_start_and_the_state_carries_on_as_in_one_uninterrupted_run()
    {
        var market = Snapshots.Market(coins: 6, minutes: 22);
        await _harness.ProduceAsync(market.Take(6 * 20));
        using (_harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
        }

        await using var next = await ExecutorHarness.StartAsync(_harness.Checkpoints);
        await next.ProduceAsync(market.Skip(6 * 20));
        using (var running = next.RunInProcess())
        {
            await next.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("below this stage's position", running.Status.LastLoss?.Text, StringComparison.Ordinal);
            Assert.Equal(0, running.Status.Lost.Values.Sum());
        }

        var outputs = await _harness.ActualAsync();
        outputs.Add(await next.ActualAsync());
        outputs.AssertEqual(next.Expected(after: _harness));
        Assert.Equal(12, next.Infrastructure.ReadAll(Topics.Ticks).Count);
        Assert.Empty(await next.DeadLettersAsync());
    }

    /// <summary>
    /// The checkpoints on a disk that fills up: the job waits (its batches are an outage, never poison), dead-letters
    /// nothing, and once there is room catches up with outputs equal to an uninterrupted run and no half-written file.
    /// </summary>
    [Fact]
    public async Task A_full_checkpoint_disk_is_waited_out_and_the_job_catches_up_without_loss()
    {
        using var disk = SmallDisk.Mount(megabytes: 2);
        await using var harness = await ExecutorHarness.StartAsync(disk.Path);
        await harness.ProduceAsync(Snapshots.Market(coins: 6, minutes: 3));
        using var running = harness.RunInProcess(new LocalExecutorOptions
        {
            BatchInterval = TimeSpan.FromMilliseconds(200), MaxBatchSize = 500, FsyncCheckpoints = false, MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        });
        await harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));

        disk.Fill();
        await harness.ProduceAsync(Snapshots.Market(coins: 6, minutes: 8).Skip(18));
        await Eventually.TrueAsync(() => running.Status.Health.Error?.Contains("No space left on device", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30),
            "the job to report the full disk");
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken); // more tries than it takes to suspect poison
        Assert.True(harness.Infrastructure.Lag(ExecutorHarness.Group, Topics.Snapshots) > 0);

        disk.Free();
        await harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));

        (await harness.ActualAsync()).AssertEqual(harness.Expected());
        Assert.Empty(await harness.DeadLettersAsync());
        Assert.Empty(Directory.GetFiles(disk.Path, "*.tmp"));
    }

    [Fact]
    public async Task A_registry_outage_pauses_the_job_which_then_catches_up_without_loss()
    {
        await _harness.ProduceAsync(Snapshots.Market(coins: 4, minutes: 3));
        using var running = _harness.RunInProcess(new LocalExecutorOptions
        {
            BatchInterval = TimeSpan.FromMilliseconds(200), MaxBatchSize = 500, FsyncCheckpoints = false, MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        });
        await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));

        _harness.Infrastructure.Broker.FailNextRequests(DevServices.Kafka.KafkaApi.Produce, Confluent.Kafka.ErrorCode.NotEnoughReplicas, 5);
        await _harness.ProduceAsync(Snapshots.Market(coins: 4, minutes: 6).Skip(12));
        await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));

        (await _harness.ActualAsync()).AssertEqual(_harness.Expected());
    }
}
