using System.Text.Json;
using CryptoEtl.Contracts.Market;
using CryptoEtl.ServiceDefaults.State;

namespace CryptoEtl.Ingest.Publishing;

/// <summary>
/// Remembers the newest last_updated published for each coin, so a snapshot is published only when CoinGecko has
/// refreshed the coin since, and how far Kafka had acknowledged the snapshots topic, partition by partition: a topic
/// that now ends below that lost what was published (a broker that came back empty, a recreated topic), and the whole
/// market is published again. Kept in a file in the state directory, so it holds across runs and restarts.
/// </summary>
public sealed class SourceDedupe
{
    public const string FileName = "source-dedupe.json";

    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly State _state;

    public SourceDedupe(string stateDirectory)
    {
        _path = Path.Combine(stateDirectory, FileName);
        _state = Load(_path);
    }

    public string FilePath => _path;

    /// <summary>Splits snapshots into the new ones (in order, one per coin and time) and the count of duplicates.</summary>
    public (List<MarketSnapshot> New, int Duplicates) Filter(IEnumerable<MarketSnapshot> snapshots)
    {
        lock (_gate)
        {
            var fresh = new List<MarketSnapshot>();
            var seen = new HashSet<(string, long)>();
            var duplicates = 0;
            foreach (var snapshot in snapshots)
            {
                var updated = snapshot.LastUpdated.ToUnixTimeMilliseconds();
                var isNew = (!_state.Newest.TryGetValue(snapshot.Id, out var newest) || updated > newest) && seen.Add((snapshot.Id, updated));
                if (isNew)
                {
                    fresh.Add(snapshot);
                }
                else
                {
                    duplicates++;
                }
            }

            return (fresh, duplicates);
        }
    }

    /// <summary>Records what Kafka acknowledged, and where; only then are those snapshots duplicates for later runs.</summary>
    public void Remember(IEnumerable<Delivered> published)
    {
        lock (_gate)
        {
            foreach (var (snapshot, partition, offset) in published)
            {
                var updated = snapshot.LastUpdated.ToUnixTimeMilliseconds();
                if (!_state.Newest.TryGetValue(snapshot.Id, out var newest) || updated > newest)
                {
                    _state.Newest[snapshot.Id] = updated;
                }

                _state.Acknowledged[partition] = Math.Max(_state.Acknowledged.GetValueOrDefault(partition), offset + 1);
            }

            Save();
        }
    }

    /// <summary>
    /// Compares where each partition of the snapshots topic ends now with what Kafka had acknowledged. When one ends
    /// below, the topic lost what was published: everything is forgotten, so the next run publishes every coin again,
    /// and the reason is returned.
    /// </summary>
    public string? ForgetIfLost(IReadOnlyDictionary<int, long> ends)
    {
        lock (_gate)
        {
            var lost = _state.Acknowledged.Where(a => ends.GetValueOrDefault(a.Key) < a.Value)
                .Select(a => $"partition {a.Key} ends at {ends.GetValueOrDefault(a.Key)}, below offset {a.Value} that Kafka had acknowledged").ToList();
            if (lost.Count == 0)
            {
                return null;
            }

            _state.Newest.Clear();
            _state.Acknowledged.Clear();
            Save();
            return string.Join("; ", lost);
        }
    }

    private void Save() => AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(_state));

    private static State Load(string path)
    {
        if (!File.Exists(path))
        {
            return new State();
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            // The first version of the file held only the newest last_updated per coin.
            return document.RootElement.TryGetProperty(nameof(State.Newest), out _)
                ? document.Deserialize<State>() ?? new State()
                : new State { Newest = document.Deserialize<Dictionary<string, long>>() ?? new Dictionary<string, long>(StringComparer.Ordinal) };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The dedupe state '{path}' is unreadable ({e.Message}). Delete it to publish every coin once more.", e);
        }
    }

    private sealed class State
    {
        public Dictionary<string, long> Newest { get; set; } = new(StringComparer.Ordinal);

        public Dictionary<int, long> Acknowledged { get; set; } = [];
    }
}

/// <summary>A snapshot Kafka acknowledged, and where it is.</summary>
public readonly record struct Delivered(MarketSnapshot Snapshot, int Partition, long Offset);
