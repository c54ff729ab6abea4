using System.Text.Json;
using System.Text.Json.Serialization;
using Avro;
using CryptoEtl.ServiceDefaults.State;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>
/// The registry's subjects, versions, global schema ids and compatibility settings, with Confluent's semantics.
/// Every change is written to the state file (atomically) before it is acknowledged, so it survives a restart.
/// </summary>
public sealed class SchemaRegistryStore
{
    private static readonly JsonSerializerOptions FileFormat = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Lock _gate = new();
    private readonly string? _stateFile;
    private RegistryState _state;

    /// <param name="stateFile">Where to keep the state; null keeps it in memory only.</param>
    public SchemaRegistryStore(string? stateFile)
    {
        _stateFile = stateFile;
        _state = Load(stateFile);
    }

    public RegisteredVersion Register(string subject, string schemaText)
    {
        var (schema, canonical) = Parse(schemaText);
        lock (_gate)
        {
            var versions = _state.Subjects.GetValueOrDefault(subject) ?? [];
            var existingId = IdOf(canonical);
            var live = versions.Where(v => !v.Deleted).ToList();
            if (existingId is { } known && live.FirstOrDefault(v => v.Id == known) is { } same)
            {
                return new RegisteredVersion(subject, same.Version, same.Id, canonical);
            }

            var problems = Problems(subject, schema, live);
            if (problems.Count > 0)
            {
                throw RegistryError.Incompatible(subject, problems);
            }

            var id = existingId ?? (_state.Schemas.Count == 0 ? 1 : _state.Schemas.Keys.Max() + 1);
            var version = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
            _state.Schemas[id] = canonical;
            versions.Add(new SubjectVersion(version, id, Deleted: false));
            _state.Subjects[subject] = versions;
            Save();
            return new RegisteredVersion(subject, version, id, canonical);
        }
    }

    public RegisteredVersion Lookup(string subject, string schemaText, bool includeDeleted)
    {
        var (_, canonical) = Parse(schemaText);
        lock (_gate)
        {
            var versions = Versions(subject, includeDeleted);
            var id = IdOf(canonical);
            var match = versions.LastOrDefault(v => v.Id == id) ?? throw RegistryError.SchemaNotFound();
            return new RegisteredVersion(subject, match.Version, match.Id, canonical);
        }
    }

    public IReadOnlyList<string> ListSubjects(bool includeDeleted)
    {
        lock (_gate)
        {
            return _state.Subjects.Where(s => includeDeleted || s.Value.Any(v => !v.Deleted)).Select(s => s.Key).ToList();
        }
    }

    public IReadOnlyList<int> ListVersions(string subject, bool includeDeleted)
    {
        lock (_gate)
        {
            return Versions(subject, includeDeleted).Select(v => v.Version).ToList();
        }
    }

    public RegisteredVersion GetVersion(string subject, string versionText, bool includeDeleted)
    {
        var wanted = ParseVersion(versionText);
        lock (_gate)
        {
            var found = Find(subject, wanted, includeDeleted, versionText);
            return new RegisteredVersion(subject, found.Version, found.Id, _state.Schemas[found.Id]);
        }
    }

    public string GetSchema(int id)
    {
        lock (_gate)
        {
            return _state.Schemas.TryGetValue(id, out var schema) ? schema : throw RegistryError.SchemaNotFound(id);
        }
    }

    public IReadOnlyList<(string Subject, int Version)> GetSchemaVersions(int id, bool includeDeleted)
    {
        lock (_gate)
        {
            if (!_state.Schemas.ContainsKey(id))
            {
                throw RegistryError.SchemaNotFound(id);
            }

            return _state.Subjects
                .SelectMany(s => s.Value.Where(v => v.Id == id && (includeDeleted || !v.Deleted)).Select(v => (s.Key, v.Version)))
                .ToList();
        }
    }

    public IReadOnlyList<int> DeleteSubject(string subject, bool permanent)
    {
        lock (_gate)
        {
            var versions = _state.Subjects.GetValueOrDefault(subject) ?? throw RegistryError.SubjectNotFound(subject);
            List<int> deleted;
            if (permanent)
            {
                if (versions.Any(v => !v.Deleted))
                {
                    throw RegistryError.SubjectNotSoftDeleted(subject);
                }

                deleted = versions.Select(v => v.Version).ToList();
                _state.Subjects.Remove(subject);
            }
            else
            {
                if (versions.All(v => v.Deleted))
                {
                    throw RegistryError.SubjectSoftDeleted(subject);
                }

                deleted = versions.Where(v => !v.Deleted).Select(v => v.Version).ToList();
                _state.Subjects[subject] = versions.Select(v => v with { Deleted = true }).ToList();
            }

            _state.SubjectCompatibility.Remove(subject);
            Save();
            return deleted;
        }
    }

    public int DeleteVersion(string subject, string versionText, bool permanent)
    {
        var wanted = ParseVersion(versionText);
        lock (_gate)
        {
            var found = Find(subject, wanted, includeDeleted: permanent, versionText);
            var versions = _state.Subjects[subject];
            if (permanent)
            {
                if (!found.Deleted)
                {
                    throw RegistryError.VersionNotSoftDeleted(subject, found.Version);
                }

                versions.Remove(found);
                if (versions.Count == 0)
                {
                    _state.Subjects.Remove(subject);
                }
            }
            else
            {
                versions[versions.IndexOf(found)] = found with { Deleted = true };
            }

            if (versions.All(v => v.Deleted))
            {
                _state.SubjectCompatibility.Remove(subject);
            }

            Save();
            return found.Version;
        }
    }

    public CompatibilityLevel GetCompatibility(string? subject, bool defaultToGlobal)
    {
        lock (_gate)
        {
            if (subject is null)
            {
                return _state.GlobalCompatibility;
            }

            if (_state.SubjectCompatibility.TryGetValue(subject, out var level))
            {
                return level;
            }

            return defaultToGlobal ? _state.GlobalCompatibility : throw RegistryError.SubjectConfigNotFound(subject);
        }
    }

    public void SetCompatibility(string? subject, CompatibilityLevel level)
    {
        lock (_gate)
        {
            if (subject is null)
            {
                _state.GlobalCompatibility = level;
            }
            else
            {
                _state.SubjectCompatibility[subject] = level;
            }

            Save();
        }
    }

    /// <summary>Removes a subject's own level (it falls back to the global one), or resets the global level; returns the old level.</summary>
    public CompatibilityLevel DeleteCompatibility(string? subject)
    {
        lock (_gate)
        {
            CompatibilityLevel old;
            if (subject is null)
            {
                old = _state.GlobalCompatibility;
                _state.GlobalCompatibility = CompatibilityLevel.Backward;
            }
            else if (!_state.SubjectCompatibility.Remove(subject, out old))
            {
                throw RegistryError.SubjectNotFound(subject);
            }

            Save();
            return old;
        }
    }

    /// <summary>Checks a candidate against one version (or, with null, against what the subject's level requires).</summary>
    public IReadOnlyList<string> CompatibilityProblems(string subject, string? versionText, string schemaText)
    {
        var (schema, _) = Parse(schemaText);
        lock (_gate)
        {
            var live = _state.Subjects.GetValueOrDefault(subject)?.Where(v => !v.Deleted).ToList() ?? [];
            if (versionText is null)
            {
                return Problems(subject, schema, live);
            }

            var wanted = ParseVersion(versionText);
            if (wanted is null && live.Count == 0)
            {
                return [];
            }

            var against = Find(subject, wanted, includeDeleted: false, versionText);
            var level = LevelOf(subject);
            return Problems(level, schema, [against]);
        }
    }

    private List<string> Problems(string subject, Schema candidate, List<SubjectVersion> live) => Problems(LevelOf(subject), candidate, live);

    private List<string> Problems(CompatibilityLevel level, Schema candidate, List<SubjectVersion> live)
    {
        if (level == CompatibilityLevel.None || live.Count == 0)
        {
            return [];
        }

        var olderFirst = live.OrderByDescending(v => v.Version).ToList();
        var against = level.IsTransitive() ? olderFirst : olderFirst.Take(1);
        var problems = new List<string>();
        foreach (var version in against)
        {
            var old = Schema.Parse(_state.Schemas[version.Id]);
            if (level.ChecksBackward())
            {
                problems.AddRange(AvroCompatibility.ProblemsReading(candidate, old));
            }

            if (level.ChecksForward())
            {
                problems.AddRange(AvroCompatibility.ProblemsReading(old, candidate));
            }

            if (problems.Count > 0)
            {
                problems.Add($"{{oldSchemaVersion: {version.Version}}}");
                problems.Add($"{{compatibility: '{level.Name()}'}}");
                break;
            }
        }

        return problems;
    }

    private CompatibilityLevel LevelOf(string subject) =>
        _state.SubjectCompatibility.TryGetValue(subject, out var level) ? level : _state.GlobalCompatibility;

    private int? IdOf(string canonical)
    {
        foreach (var (id, text) in _state.Schemas)
        {
            if (text == canonical)
            {
                return id;
            }
        }

        return null;
    }

    private List<SubjectVersion> Versions(string subject, bool includeDeleted)
    {
        var versions = _state.Subjects.GetValueOrDefault(subject)?.Where(v => includeDeleted || !v.Deleted).ToList();
        return versions is { Count: > 0 } ? versions : throw RegistryError.SubjectNotFound(subject);
    }

    /// <param name="wanted">A version number, or null for the latest.</param>
    private SubjectVersion Find(string subject, int? wanted, bool includeDeleted, string versionText)
    {
        var versions = Versions(subject, includeDeleted);
        return wanted is null
            ? versions.MaxBy(v => v.Version)!
            : versions.FirstOrDefault(v => v.Version == wanted) ?? throw RegistryError.VersionNotFound(versionText);
    }

    /// <summary>"latest" (any case) or -1 mean the newest version: null.</summary>
    private static int? ParseVersion(string text)
    {
        if (string.Equals(text, "latest", StringComparison.OrdinalIgnoreCase) || text == "-1")
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version >= 1
            ? version
            : throw RegistryError.InvalidVersion(text);
    }

    /// <summary>Parses an Avro schema; its canonical text (Avro's compact form) decides identity, so whitespace and key order do not.</summary>
    private static (Schema Schema, string Canonical) Parse(string text)
    {
        try
        {
            var schema = Schema.Parse(text);
            return (schema, schema.ToString());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Apache.Avro reports some malformed schemas with NullReferenceException or KeyNotFoundException:
            // whatever it throws, the schema is what is wrong.
            throw RegistryError.InvalidSchema(e is SchemaParseException or AvroException or Newtonsoft.Json.JsonException
                ? e.Message
                : $"the schema is not valid Avro ({e.GetType().Name})");
        }
    }

    private static RegistryState Load(string? stateFile)
    {
        if (stateFile is null || !File.Exists(stateFile))
        {
            return new RegistryState();
        }

        try
        {
            return JsonSerializer.Deserialize<RegistryState>(File.ReadAllText(stateFile), FileFormat)
                ?? throw new InvalidDataException("the file holds null");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"The schema registry state file '{stateFile}' is unreadable ({e.Message}). Move it away to start with an empty registry.", e);
        }
    }

    private void Save()
    {
        if (_stateFile is null)
        {
            return;
        }

        try
        {
            AtomicFile.WriteAllText(_stateFile, JsonSerializer.Serialize(_state, FileFormat));
        }
        catch (IOException e)
        {
            // What is not in the file did not happen (a full disk): an id handed out now and forgotten at the next
            // start could be given to another schema, and records written with it would decode with the wrong one.
            _state = Load(_stateFile);
            throw RegistryError.StoreFailure(e.Message);
        }
    }
}
