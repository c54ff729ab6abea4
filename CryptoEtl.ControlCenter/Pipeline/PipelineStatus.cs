namespace CryptoEtl.ControlCenter.Pipeline;

/// <summary>What /api/status answers: the data source, each service's health and what has flowed so far.</summary>
public sealed record PipelineStatus(string Source, IReadOnlyList<ServiceHealth> Services, PipelineCounts Counts);

public sealed record ServiceHealth(string Name, string Url, string Health);

/// <summary>Records per topic, documents per stored collection, ingest runs and DAG runs by outcome.</summary>
public sealed record PipelineCounts(
    IReadOnlyDictionary<string, long> Topics,
    IReadOnlyDictionary<string, long> Collections,
    IReadOnlyDictionary<string, long> Runs,
    IReadOnlyDictionary<string, long> DagRuns);
