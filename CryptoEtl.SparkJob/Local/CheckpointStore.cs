using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.ServiceDefaults.State;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.Local;

/// <summary>
/// Spark's checkpoint location for the local executor: one file per input partition holding its transformation state
/// and the offset of the next record to read, written atomically after the outputs it covers were acknowledged.
/// The directory can be shared by instances, so the new owner of a partition resumes where the old one stopped.
/// </summary>
public sealed class CheckpointStore
{
    private static readonly JsonSerializerOptions Format = new() { WriteIndented = false };

    private readonly string _directory;
    private readonly bool _fsync;

    public CheckpointStore(string directory, bool fsync = true)
    {
        _directory = directory;
        _fsync = fsync;
        Directory.CreateDirectory(directory);
    }

    public string Location => _directory;

    public PartitionCheckpoint? Load(TopicPartition partition)
    {
        var path = PathOf(partition);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var checkpoint = JsonSerializer.Deserialize<PartitionCheckpoint>(File.ReadAllBytes(path), Format)
                ?? throw new InvalidDataException("the file holds null");
            checkpoint.State.RebuildIndexes();
            return checkpoint;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is unreadable ({e.Message}). Delete it to reprocess the partition from its committed offset.", e);
        }
    }

    /// <summary>
    /// Saves unless the file on disk is already further ahead (in a later log of the partition, or further in the same
    /// one): then another instance owns the partition now and this one must let it go (returns false).
    /// </summary>
    public bool Save(TopicPartition partition, PartitionCheckpoint checkpoint)
    {
        var path = PathOf(partition);
        if (File.Exists(path) && ReadPosition(path).CompareTo((checkpoint.LogEpoch, checkpoint.NextOffset)) > 0)
        {
            return false;
        }

        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(checkpoint, Format), _fsync);
        return true;
    }

    private string PathOf(TopicPartition partition) => Path.Combine(_directory, $"{partition.Topic}-{partition.Partition.Value}.json");

    private static (int LogEpoch, long NextOffset) ReadPosition(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        return (root.TryGetProperty(nameof(PartitionCheckpoint.LogEpoch), out var epoch) ? epoch.GetInt32() : 0,
            root.GetProperty(nameof(PartitionCheckpoint.NextOffset)).GetInt64());
    }
}

/// <summary>A partition's state and the offset of the first record it does not cover.</summary>
/// <param name="LogEpoch">
/// Which log of the partition <paramref name="NextOffset"/> is an offset of: it goes up by one each time the log is
/// replaced (a broker that came back empty, a recreated topic), whose offsets start again from zero while the state
/// carries on.
/// </param>
public sealed record PartitionCheckpoint(long NextOffset, PartitionState State, DateTimeOffset WrittenAt, string Owner, int LogEpoch = 0);
