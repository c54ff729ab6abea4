using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using CryptoEtl.ServiceDefaults.State;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.Local;

/// <summary>
/// Spark's checkpoint location for the local executor, written after the outputs it covers were acknowledged. Per input
/// partition, as a changelog over a snapshot (the way Kafka Streams' changelogs and RocksDB's checkpoints keep state):
/// <c>&lt;topic&gt;-&lt;p&gt;.json</c> holds the whole state at some offset, written atomically, and
/// <c>&lt;topic&gt;-&lt;p&gt;.changes</c> one JSON line per batch since then with only the coins that batch changed, so a
/// batch costs in proportion to what it changed, not to the state. When the changes outgrow the snapshot they are folded
/// into a new one (<see cref="CompactAfterBytes"/>), which bounds both the disk used and the time a restore takes.
/// A crash in the middle of an append leaves a torn last line, which the next load drops (its batch was not committed).
/// The directory can be shared by instances, so the new owner of a partition resumes where the old one stopped.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>The changes of a partition are folded into its snapshot once they are larger than the snapshot and this.</summary>
    public const long CompactAfterBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Format = new() { WriteIndented = false };

    private readonly string _directory;
    private readonly bool _fsync;

    // Per partition, the files as this instance last wrote or read them: when they still look so, nobody else wrote.
    private readonly ConcurrentDictionary<TopicPartition, OnDisk> _known = new();

    public CheckpointStore(string directory, bool fsync = true)
    {
        _directory = directory;
        _fsync = fsync;
        Directory.CreateDirectory(directory);
    }

    public string Location => _directory;

    /// <summary>The partition's snapshot with its changes applied, or null when it has none.</summary>
    public PartitionCheckpoint? Load(TopicPartition partition)
    {
        var (snapshotPath, changesPath) = PathsOf(partition);
        var checkpoint = File.Exists(snapshotPath) ? ReadSnapshot(snapshotPath) : null;
        if (File.Exists(changesPath))
        {
            foreach (var change in ReadChanges(changesPath))
            {
                if (checkpoint is not null && checkpoint.Position.CompareTo(change.Position) >= 0)
                {
                    continue; // folded into the snapshot already (a crash between the snapshot and emptying the changes)
                }

                var state = checkpoint?.State ?? new PartitionState();
                state.MaxEventTime = change.MaxEventTime;
                foreach (var (coin, coinState) in change.Coins)
                {
                    state.Coins[coin] = coinState;
                }

                checkpoint = new PartitionCheckpoint(change.NextOffset, state, change.WrittenAt, change.Owner, change.LogEpoch);
            }
        }

        checkpoint?.State.RebuildIndexes();
        checkpoint?.State.ChangedCoins.Clear();
        _known[partition] = OnDisk.Of(snapshotPath, changesPath, checkpoint?.Position);
        return checkpoint;
    }

    /// <summary>
    /// Saves what changed since the last save (or the whole state when it is time to compact and <paramref name="mayCompact"/>,
    /// or when the files are not as this instance left them) unless the checkpoint on disk is already further ahead (in a
    /// later log of the partition, or further in the same one): then another instance owns the partition now and this
    /// one must let it go (returns false with nothing written).
    /// </summary>
    /// <param name="mayCompact">
    /// False puts off a compaction that is due: partitions grow alike, so they would all be due in the same batch and
    /// write the whole state at once (36 MB with fsync at 20,000 coins, seconds of freshness); one a batch is enough.
    /// </param>
    public bool Save(TopicPartition partition, PartitionCheckpoint checkpoint, out CheckpointWrite written, bool mayCompact = true)
    {
        written = default;
        var (snapshotPath, changesPath) = PathsOf(partition);
        var now = OnDisk.Of(snapshotPath, changesPath, position: null);
        var known = _known.GetValueOrDefault(partition);
        var untouched = known is not null && known.SameFiles(now);
        var onDisk = untouched ? known!.Position : Load(partition)?.Position;
        if (onDisk is { } position && position.CompareTo(checkpoint.Position) > 0)
        {
            _known.TryRemove(partition, out _); // the files are another instance's: a later save of this one writes them whole
            return false;
        }

        if (!untouched || known!.Snapshot is null || (mayCompact && now.ChangesLength > Math.Max(known.Snapshot.Value.Length, CompactAfterBytes)))
        {
            written = new CheckpointWrite(WriteSnapshot(snapshotPath, changesPath, checkpoint), Whole: true);
        }
        else
        {
            written = new CheckpointWrite(AppendChanges(changesPath, now.ChangesLength, checkpoint), Whole: false);
        }

        checkpoint.State.ChangedCoins.Clear();
        _known[partition] = OnDisk.Of(snapshotPath, changesPath, checkpoint.Position);
        return true;
    }

    /// <summary>Size of the partition's last whole snapshot (0 before the first): the state a change is measured against.</summary>
    public long SnapshotBytes(TopicPartition partition) => _known.GetValueOrDefault(partition)?.Snapshot?.Length ?? 0;

    private long WriteSnapshot(string snapshotPath, string changesPath, PartitionCheckpoint checkpoint)
    {
        // Streamed: a whole state is tens of MB at 100,000 coins, which as one array would sit on the large object heap.
        var length = AtomicFile.Write(snapshotPath, stream => JsonSerializer.Serialize(stream, checkpoint, Format), _fsync);
        // The snapshot covers every change: a crash before this leaves changes that the next load skips.
        File.Delete(changesPath);
        return length;
    }

    private long AppendChanges(string changesPath, long length, PartitionCheckpoint checkpoint)
    {
        var state = checkpoint.State;
        var change = new CheckpointChange(checkpoint.LogEpoch, checkpoint.NextOffset, checkpoint.WrittenAt, checkpoint.Owner, state.MaxEventTime,
            state.ChangedCoins.ToDictionary(coin => coin, coin => state.Coins[coin], StringComparer.Ordinal));
        var line = JsonSerializer.SerializeToUtf8Bytes(change, Format);
        // Unbuffered and not in Append mode, which refuses to cut back what was there before.
        using var stream = new FileStream(changesPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0);
        stream.Seek(length, SeekOrigin.Begin);
        try
        {
            stream.Write(line);
            stream.Write("\n"u8);
            stream.Flush(_fsync);
        }
        catch (IOException)
        {
            try
            {
                stream.SetLength(length); // a full disk: give back what the torn line took
            }
            catch (IOException)
            {
                // The next load cuts the torn line off.
            }

            throw;
        }

        return line.Length + 1;
    }

    private (string Snapshot, string Changes) PathsOf(TopicPartition partition)
    {
        var stem = Path.Combine(_directory, $"{partition.Topic}-{partition.Partition.Value}");
        return ($"{stem}.json", $"{stem}.changes");
    }

    private static PartitionCheckpoint ReadSnapshot(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<PartitionCheckpoint>(stream, Format) ?? throw new InvalidDataException("the file holds null");
        }
        catch (JsonException e)
        {
            throw Unreadable(path, e);
        }
    }

    /// <summary>
    /// The changes in order. A torn last line (a crash in the middle of an append) is not one: it is cut off, so that the
    /// next append starts a line of its own.
    /// </summary>
    private static List<CheckpointChange> ReadChanges(string path)
    {
        var content = File.ReadAllBytes(path);
        var bytes = content.AsSpan();
        var changes = new List<CheckpointChange>();
        while (bytes.IndexOf((byte)'\n') is var end and >= 0)
        {
            try
            {
                changes.Add(JsonSerializer.Deserialize<CheckpointChange>(bytes[..end], Format) ?? throw new InvalidDataException("a line holds null"));
            }
            catch (JsonException e)
            {
                throw Unreadable(path, e);
            }

            bytes = bytes[(end + 1)..];
        }

        if (!bytes.IsEmpty)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            stream.SetLength(content.Length - bytes.Length);
        }

        return changes;
    }

    private static InvalidDataException Unreadable(string path, JsonException e) =>
        new($"Checkpoint '{path}' is unreadable ({e.Message}). Delete the partition's .json and .changes files to reprocess it from its committed offset.", e);

    /// <summary>The checkpoint files as last seen: their lengths and times, and the position they hold.</summary>
    private sealed record OnDisk((long Length, DateTime Written)? Snapshot, long ChangesLength, DateTime ChangesWritten, (int, long)? Position)
    {
        public static OnDisk Of(string snapshotPath, string changesPath, (int, long)? position)
        {
            var snapshot = new FileInfo(snapshotPath);
            var changes = new FileInfo(changesPath);
            return new OnDisk(snapshot.Exists ? (snapshot.Length, snapshot.LastWriteTimeUtc) : null,
                changes.Exists ? changes.Length : 0, changes.Exists ? changes.LastWriteTimeUtc : default, position);
        }

        public bool SameFiles(OnDisk other) => Snapshot == other.Snapshot && ChangesLength == other.ChangesLength && ChangesWritten == other.ChangesWritten;
    }
}

/// <summary>What a save wrote: its bytes, and whether that was the whole state (a snapshot) or the changes.</summary>
public readonly record struct CheckpointWrite(long Bytes, bool Whole);

/// <summary>A partition's state and the offset of the first record it does not cover.</summary>
/// <param name="LogEpoch">
/// Which log of the partition <paramref name="NextOffset"/> is an offset of: it goes up by one each time the log is
/// replaced (a broker that came back empty, a recreated topic), whose offsets start again from zero while the state
/// carries on.
/// </param>
public sealed record PartitionCheckpoint(long NextOffset, PartitionState State, DateTimeOffset WrittenAt, string Owner, int LogEpoch = 0)
{
    /// <summary>How far the checkpoint is: later logs first, then further offsets.</summary>
    [JsonIgnore]
    public (int LogEpoch, long NextOffset) Position => (LogEpoch, NextOffset);
}

/// <summary>One line of a partition's changes: the coins one batch changed, and the position after it.</summary>
public sealed record CheckpointChange(int LogEpoch, long NextOffset, DateTimeOffset WrittenAt, string Owner, long? MaxEventTime, Dictionary<string, CoinState> Coins)
{
    [JsonIgnore]
    public (int LogEpoch, long NextOffset) Position => (LogEpoch, NextOffset);
}
