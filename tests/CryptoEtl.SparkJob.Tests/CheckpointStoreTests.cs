using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.SparkJob.Transform;
using CryptoEtl.TestSupport;
using static CryptoEtl.SparkJob.Tests.Snapshots;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>The checkpoint files themselves: a snapshot of the state, then per batch only the coins it changed.</summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private static readonly TopicPartition Partition = new(Topics.Snapshots, 0);

    private readonly string _directory = Directory.CreateTempSubdirectory("checkpoint-store-").FullName;
    private readonly StreamTransform _transform = new(new TransformOptions());

    private string SnapshotPath => Path.Combine(_directory, $"{Topics.Snapshots}-0.json");

    private string ChangesPath => Path.Combine(_directory, $"{Topics.Snapshots}-0.changes");

    [Fact]
    public void A_batch_writes_only_the_coins_it_changed()
    {
        // 1,000 coins; the second batch is ten of them, late enough in the minute to move the watermark past no window end.
        var market = Market(coins: 1000, minutes: 5);
        var store = new CheckpointStore(_directory, fsync: false);
        var state = new PartitionState();
        Feed(state, market.SkipLast(10));
        Assert.True(store.Save(Partition, At(4990, state), out var whole));

        Feed(state, market.TakeLast(10));
        Assert.Equal(10, state.ChangedCoins.Count);
        Assert.True(store.Save(Partition, At(5000, state), out var changed));

        Assert.Equal((new FileInfo(SnapshotPath).Length, true), (whole.Bytes, whole.Whole));
        Assert.Equal((new FileInfo(ChangesPath).Length, false), (changed.Bytes, changed.Whole));
        Assert.True(changed.Bytes * 50 < whole.Bytes, $"the ten coins' change took {changed.Bytes} B, the whole state {whole.Bytes} B");
        Assert.Empty(state.ChangedCoins);
        AssertSameState(state, new CheckpointStore(_directory).Load(Partition), 5000);
    }

    /// <summary>A restart at any batch: the snapshot plus its changes (folded now and then) carry on like the state never saved.</summary>
    [Fact]
    public void State_restored_from_snapshot_and_changes_continues_exactly_like_the_original()
    {
        var market = Market(coins: 20, minutes: 90);
        var reference = new StoreView();
        Feed(new PartitionState(), market, reference);

        var view = new StoreView();
        var store = new CheckpointStore(_directory, fsync: false);
        var state = new PartitionState();
        var (appends, compactions) = (0, 0);
        var batches = market.Chunk(10).ToList();
        for (var i = 0; i < batches.Count / 2; i++)
        {
            Feed(state, batches[i], view);
            Assert.True(store.Save(Partition, At((i + 1) * 10, state), out var written));
            _ = written.Whole ? compactions++ : appends++;
            Assert.Equal(written.Whole, !File.Exists(ChangesPath));
            Assert.True(!File.Exists(ChangesPath) || new FileInfo(ChangesPath).Length <= Math.Max(new FileInfo(SnapshotPath).Length, CheckpointStore.CompactAfterBytes) + written.Bytes);
        }

        var restored = new CheckpointStore(_directory).Load(Partition)!;
        AssertSameState(state, restored, batches.Count / 2 * 10);
        Feed(restored.State, batches.Skip(batches.Count / 2).SelectMany(b => b), view);

        view.AssertEqual(reference);
        Assert.True(appends > 0 && compactions > 1, $"{appends} appends, {compactions} compactions");
    }

    /// <summary>A compaction that is due waits while another partition compacts in the same batch: the changes grow past the snapshot, and restore alike.</summary>
    [Fact]
    public void A_compaction_put_off_appends_the_changes_instead()
    {
        var market = Market(coins: 30, minutes: 20);
        var store = new CheckpointStore(_directory, fsync: false);
        var state = new PartitionState();
        Feed(state, market.Take(30));
        Assert.True(store.Save(Partition, At(30, state), out var first) && first.Whole);
        var offset = 30;
        foreach (var batch in market.Skip(30).Chunk(30))
        {
            Feed(state, batch);
            offset += batch.Length;
            Assert.True(store.Save(Partition, At(offset, state), out var written, mayCompact: false));
            Assert.False(written.Whole);
        }

        Assert.True(new FileInfo(ChangesPath).Length > Math.Max(new FileInfo(SnapshotPath).Length, CheckpointStore.CompactAfterBytes));
        AssertSameState(state, new CheckpointStore(_directory).Load(Partition), offset);
    }

    [Fact]
    public void A_torn_last_line_is_dropped_and_the_next_change_starts_a_line_of_its_own()
    {
        var (market, state) = SnapshotThenChange();
        var goodLength = new FileInfo(ChangesPath).Length;
        File.AppendAllText(ChangesPath, """{"LogEpoch":0,"NextOffset":60,"Wri"""); // a crash in the middle of an append

        var restarted = new CheckpointStore(_directory, fsync: false);
        var restored = restarted.Load(Partition)!;
        AssertSameState(state, restored, 40);
        Assert.Equal(goodLength, new FileInfo(ChangesPath).Length);

        Feed(restored.State, market.Skip(40).Take(20));
        Assert.True(restarted.Save(Partition, At(60, restored.State), out _));
        AssertSameState(restored.State, new CheckpointStore(_directory).Load(Partition), 60);
    }

    [Fact]
    public void Changes_a_snapshot_already_covers_are_not_applied_again()
    {
        var (market, state) = SnapshotThenChange();
        var olderChanges = File.ReadAllBytes(ChangesPath);

        // Another instance's store does not know the files, so it writes a whole snapshot; then the crash before the
        // changes were deleted is played by putting them back.
        var next = new CheckpointStore(_directory, fsync: false);
        Feed(state, market.Skip(40).Take(20));
        Assert.True(next.Save(Partition, At(60, state), out _));
        Assert.False(File.Exists(ChangesPath));
        File.WriteAllBytes(ChangesPath, olderChanges);

        AssertSameState(state, new CheckpointStore(_directory).Load(Partition), 60);
    }

    [Fact]
    public void A_checkpoint_further_ahead_on_disk_fences_the_instance_behind_it()
    {
        var market = Market(coins: 10, minutes: 6);
        var first = new CheckpointStore(_directory, fsync: false);
        var state = new PartitionState();
        Feed(state, market.Take(20));
        Assert.True(first.Save(Partition, At(20, state), out _));

        var second = new CheckpointStore(_directory, fsync: false);
        var taken = second.Load(Partition)!;
        Feed(taken.State, market.Skip(20).Take(20));
        Assert.True(second.Save(Partition, At(40, taken.State), out _));

        Feed(state, market.Skip(20).Take(10));
        var files = FileContents();
        Assert.False(first.Save(Partition, At(30, state), out var written));
        Assert.Equal(0, written.Bytes);
        Assert.Equal(files, FileContents());
        // A later log of the partition is further ahead: written whole, since the files on disk hold the other instance's state.
        Assert.True(first.Save(Partition, new PartitionCheckpoint(10, state, T0, "first", LogEpoch: 1), out _));
        Assert.False(File.Exists(ChangesPath));
        var restored = new CheckpointStore(_directory).Load(Partition)!;
        AssertSameState(state, restored, 10);
        Assert.Equal(("first", 1), (restored.Owner, restored.LogEpoch));
    }

    /// <summary>A change that finds no room: nothing torn is left behind, the last checkpoint stands, and the next save once there is room goes through.</summary>
    [Fact]
    public void A_full_disk_fails_the_save_and_leaves_the_last_checkpoint_as_it_was()
    {
        using var disk = SmallDisk.Mount(megabytes: 1);
        var market = Market(coins: 200, minutes: 4);
        var store = new CheckpointStore(disk.Path, fsync: true);
        var state = new PartitionState();
        Feed(state, market.Take(400));
        Assert.True(store.Save(Partition, At(400, state), out _));
        var changes = Path.Combine(disk.Path, $"{Topics.Snapshots}-0.changes");
        var before = File.Exists(changes) ? new FileInfo(changes).Length : 0;

        disk.Fill();
        Feed(state, market.Skip(400).Take(200));
        var error = Assert.ThrowsAny<IOException>(() => store.Save(Partition, At(600, state), out _));
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.Exists(changes) ? new FileInfo(changes).Length : 0);
        Assert.Equal(400, new CheckpointStore(disk.Path).Load(Partition)!.NextOffset);

        disk.Free();
        Assert.True(store.Save(Partition, At(600, state), out _));
        AssertSameState(state, new CheckpointStore(disk.Path).Load(Partition), 600);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Ten coins' first 20 snapshots saved whole, the next 20 saved as changes (offsets 20 and 40).</summary>
    private (List<MarketSnapshot> Market, PartitionState State) SnapshotThenChange()
    {
        var market = Market(coins: 10, minutes: 6);
        var store = new CheckpointStore(_directory, fsync: false);
        var state = new PartitionState();
        Feed(state, market.Take(20));
        Assert.True(store.Save(Partition, At(20, state), out var whole) && whole.Whole);
        Feed(state, market.Skip(20).Take(20));
        Assert.True(store.Save(Partition, At(40, state), out var changes) && !changes.Whole);
        return (market, state);
    }

    private string FileContents() =>
        Convert.ToHexString(File.ReadAllBytes(SnapshotPath)) + "/" + (File.Exists(ChangesPath) ? Convert.ToHexString(File.ReadAllBytes(ChangesPath)) : "");

    private static PartitionCheckpoint At(long nextOffset, PartitionState state) => new(nextOffset, state, T0, "test");

    private void Feed(PartitionState state, IEnumerable<MarketSnapshot> snapshots, StoreView? view = null)
    {
        var output = new TransformOutput();
        var i = 0;
        foreach (var snapshot in snapshots)
        {
            _transform.Process(state, snapshot, i++, output);
        }

        _transform.CompleteBatch(output);
        output.Ticks.ForEach(t => view?.Add(t));
        output.Candles.ForEach(c => view?.Add(c));
        output.Alerts.ForEach(a => view?.Add(a));
    }

    private static void AssertSameState(PartitionState expected, PartitionCheckpoint? restored, long nextOffset)
    {
        Assert.NotNull(restored);
        Assert.Equal(nextOffset, restored.NextOffset);
        Assert.Equal(JsonSerializer.Serialize(Sorted(expected)), JsonSerializer.Serialize(Sorted(restored.State)));
        Assert.Equal(expected.Deadlines.Count, restored.State.Deadlines.Count);
    }

    private static object Sorted(PartitionState state) => new { state.MaxEventTime, Coins = new SortedDictionary<string, CoinState>(state.Coins, StringComparer.Ordinal) };
}
