namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>Everything the registry knows, in the shape it is saved to its state file.</summary>
internal sealed class RegistryState
{
    /// <summary>Global schema ids and their canonical schema text. Ids never change and are never reused.</summary>
    public SortedDictionary<int, string> Schemas { get; set; } = [];

    public SortedDictionary<string, List<SubjectVersion>> Subjects { get; set; } = new(StringComparer.Ordinal);

    public CompatibilityLevel GlobalCompatibility { get; set; } = CompatibilityLevel.Backward;

    public SortedDictionary<string, CompatibilityLevel> SubjectCompatibility { get; set; } = new(StringComparer.Ordinal);
}

internal sealed record SubjectVersion(int Version, int Id, bool Deleted);

/// <summary>One registered version as the API returns it.</summary>
public sealed record RegisteredVersion(string Subject, int Version, int Id, string Schema);
