using System.Text.Json;
using CryptoEtl.Contracts.Market;
using CryptoEtl.ServiceDefaults.State;

namespace CryptoEtl.Ingest.Publishing;

/// <summary>
/// Remembers the newest last_updated published for each coin, so a snapshot is published only when CoinGecko has
/// refreshed the coin since. Kept in a file in the state directory, so it holds across runs and restarts.
/// </summary>
public sealed class SourceDedupe
{
    public const string FileName = "source-dedupe.json";

    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly Dictionary<string, long> _newest;

    public SourceDedupe(string stateDirectory)
    {
        _path = Path.Combine(stateDirectory, FileName);
        _newest = Load(_path);
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
                var isNew = (!_newest.TryGetValue(snapshot.Id, out var newest) || updated > newest) && seen.Add((snapshot.Id, updated));
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

    /// <summary>Records what Kafka acknowledged; only then are those snapshots duplicates for later runs.</summary>
    public void Remember(IEnumerable<MarketSnapshot> published)
    {
        lock (_gate)
        {
            foreach (var snapshot in published)
            {
                var updated = snapshot.LastUpdated.ToUnixTimeMilliseconds();
                if (!_newest.TryGetValue(snapshot.Id, out var newest) || updated > newest)
                {
                    _newest[snapshot.Id] = updated;
                }
            }

            AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(_newest));
        }
    }

    private static Dictionary<string, long> Load(string path)
    {
        if (!File.Exists(path))
        {
            return new Dictionary<string, long>(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(path)) ?? new Dictionary<string, long>(StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The dedupe state '{path}' is unreadable ({e.Message}). Delete it to publish every coin once more.", e);
        }
    }
}
