using CryptoEtl.Contracts;
using CryptoEtl.TestSupport;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>The job as separate processes, as the AppHost runs it: killed with SIGKILL, or two instances sharing partitions.</summary>
public sealed class ProcessRecoveryTests : IAsyncLifetime
{
    private ExecutorHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await ExecutorHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <param name="maxBatchSize">The executor's batch size; null for the default the AppHost runs with.</param>
    private ChildProcess StartJob(string name, int? maxBatchSize = 100) => ChildProcess.StartDotnet("CryptoEtl.SparkJob.dll",
    [
        "run", "--engine", "local",
        $"--ConnectionStrings:kafka={_harness.Infrastructure.BootstrapServers}",
        $"--ConnectionStrings:schema-registry={_harness.Infrastructure.RegistryUrl}",
        $"--LocalExecutor:CheckpointDir={_harness.Checkpoints}",
        $"--LocalExecutor:ConsumerGroup={ExecutorHarness.Group}",
        .. maxBatchSize is { } size ? [$"--LocalExecutor:MaxBatchSize={size}"] : Array.Empty<string>(),
        "--LocalExecutor:BatchInterval=00:00:00.050",
        "--Kafka:Consumer:session.timeout.ms=6000",
        "--urls=http://127.0.0.1:0",
        $"--StateDir={Path.Combine(_harness.Checkpoints, "..", name)}",
        "--Logging:LogLevel:Default=Information",
    ]);

    [Fact]
    public async Task A_job_killed_mid_stream_resumes_from_its_checkpoint_and_the_outputs_equal_an_uninterrupted_run()
    {
        var market = Snapshots.Market(coins: 24, minutes: 150);
        await using (var job = StartJob("first"))
        {
            await job.WaitForLineAsync("Partition 5 assigned", TimeSpan.FromSeconds(60), Cancel);
            await _harness.ProduceAsync(market.Take(1500));
            await Eventually.TrueAsync(() => _harness.Infrastructure.ReadAll(Topics.Ticks).Count > 300, TimeSpan.FromSeconds(60), "some ticks");
            _ = _harness.ProduceAsync(market.Skip(1500).Take(1000));
            await Task.Delay(100, Cancel);
            job.KillHard(); // SIGKILL: no flush, no checkpoint, no leaving the group
        }

        var ticksAtKill = _harness.Infrastructure.ReadAll(Topics.Ticks).Count;
        await using var restarted = StartJob("second");
        await _harness.ProduceAsync(market.Skip(2500));
        await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(120));

        Assert.InRange(ticksAtKill, 300, market.Count - 1);
        Assert.Contains("checkpoint of", restarted.Transcript, StringComparison.Ordinal);
        var actual = await _harness.ActualAsync();
        actual.AssertEqual(_harness.Expected());
        Assert.Equal(market.Count, actual.Ticks.Count);
    }

    [Fact]
    public async Task Two_instances_share_the_partitions_and_their_outputs_equal_a_single_instances()
    {
        await using var first = StartJob("a");
        await first.WaitForLineAsync("Partition 5 assigned", TimeSpan.FromSeconds(60), Cancel);
        await using var second = StartJob("b");
        // Only once the second has joined do both share the work; before, the first alone could take all of it.
        await second.WaitForLineAsync(@"Partition \d assigned", TimeSpan.FromSeconds(60), Cancel);
        await _harness.ProduceAsync(Snapshots.Market(coins: 24, minutes: 60));

        await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(120));

        Assert.Contains("revoked", first.Transcript, StringComparison.Ordinal);
        (await _harness.ActualAsync()).AssertEqual(_harness.Expected());
    }

    [Fact]
    public async Task A_backlog_of_50000_distinct_coins_is_caught_up_at_the_default_batch_size_without_an_abort()
    {
        // The fault seen once: the job ended with exit code 134 while catching up 50,000 snapshots of 50,000 coins.
        var market = Snapshots.Market(coins: 50_000, minutes: 1);
        await _harness.ProduceAsync(market);

        await using var job = StartJob("catch-up", maxBatchSize: null);
        var catchingUp = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(() => job.HasExited || _harness.Infrastructure.TryLag(ExecutorHarness.Group, Topics.Snapshots) == 0,
            TimeSpan.FromMinutes(10), "the job to catch up or end");
        Assert.False(job.HasExited, $"the job ended with exit code {(job.HasExited ? job.ExitCode : 0)} while catching up");
        var peakMemory = File.ReadLines($"/proc/{job.Id}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage($"50,000 coins caught up in {catchingUp.Elapsed.TotalSeconds:0} s; job {peakMemory}");

        var actual = await _harness.ActualAsync();
        Assert.Equal(market.Count, actual.Ticks.Count);
        actual.AssertEqual(_harness.Expected());
        Assert.False(job.HasExited);
    }
}
