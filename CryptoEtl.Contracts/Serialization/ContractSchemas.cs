using System.Collections.Concurrent;
using Avro;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>Loads the .avsc files embedded in this assembly: the one definition of each schema.</summary>
public static class ContractSchemas
{
    private static readonly ConcurrentDictionary<string, RecordSchema> Cache = new();

    /// <summary>The raw .avsc text, as written in the repository.</summary>
    public static string Text(string name)
    {
        using var stream = typeof(ContractSchemas).Assembly.GetManifestResourceStream($"CryptoEtl.Contracts.Schemas.{name}.avsc")
            ?? throw new InvalidOperationException($"No embedded schema {name}.avsc in CryptoEtl.Contracts.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static RecordSchema Load(string name) =>
        Cache.GetOrAdd(name, n => (RecordSchema)Schema.Parse(Text(n)));

    /// <summary>The names of every embedded schema.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(ContractSchemas).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("CryptoEtl.Contracts.Schemas.", StringComparison.Ordinal) && n.EndsWith(".avsc", StringComparison.Ordinal))
        .Select(n => n["CryptoEtl.Contracts.Schemas.".Length..^".avsc".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();
}
