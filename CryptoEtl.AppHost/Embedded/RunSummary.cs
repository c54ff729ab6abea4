using System.Text.Json;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>The JSON written by --summary at exit.</summary>
public sealed record RunSummary(
    string Mode,
    string Source,
    string StateDirectory,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyDictionary<string, string> Endpoints,
    PipelineCounts Counts,
    IReadOnlyList<ResourceSummary> Resources)
{
    public static readonly JsonSerializerOptions Format = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Format));
    }
}

public sealed record ResourceSummary(string Name, string Realisation, string State, int Restarts, string? Endpoint);
