namespace CryptoEtl.AppHost.Model;

/// <summary>The manifest types a resource publishes as (Aspire's container.v0, project.v0, value.v0, parameter.v0).</summary>
public enum ResourceKind
{
    Container,
    Project,
    Value,
    Parameter,
}

/// <summary>How the embedded run realises a resource (see the run-mode table in the README).</summary>
public enum EmbeddedAs
{
    /// <summary>librdkafka's built-in broker, in the AppHost process.</summary>
    Kafka,

    /// <summary>The Confluent-compatible Schema Registry stand-in, in the AppHost process.</summary>
    SchemaRegistry,

    /// <summary>The CoinGecko simulator in the AppHost process, or the real API.</summary>
    CoinGecko,

    /// <summary>The embedded scheduler (the Airflow DAG's schedule), in the AppHost process.</summary>
    Scheduler,

    /// <summary>The AppHost's own dashboard page.</summary>
    Dashboard,

    /// <summary>A .NET service project started as a child process.</summary>
    ChildProcess,

    /// <summary>Not started: a service uses a local replacement (SQLite for PostgreSQL, LiteDB for MongoDB, the local executor for Spark) or does not need it (ZooKeeper).</summary>
    Replaced,
}

/// <summary>A network endpoint of a resource: its name, scheme and the port it listens on inside its container.</summary>
public sealed record Endpoint(string Name, string Scheme, int TargetPort, int? HostPort = null);

/// <summary>
/// One resource of the app model, declared once and realised by every run mode and publisher. Environment values and
/// connection strings are templates in the Aspire manifest syntax: {name.connectionString}, {name.bindings.http.url},
/// {name.bindings.tcp.host}, {name.bindings.tcp.port}, {param.value}.
/// </summary>
public sealed class Resource(string name, ResourceKind kind)
{
    public string Name { get; } = name;

    public ResourceKind Kind { get; } = kind;

    public EmbeddedAs Embedded { get; set; } = EmbeddedAs.Replaced;

    /// <summary>One line: what the embedded run uses instead, or how it runs the resource.</summary>
    public string EmbeddedDescription { get; set; } = "";

    public string? Image { get; set; }

    public string? Tag { get; set; }

    /// <summary>For projects: the project's directory and assembly name, e.g. CryptoEtl.Ingest.</summary>
    public string? Project { get; set; }

    public List<Endpoint> Endpoints { get; } = [];

    public string? ConnectionString { get; set; }

    /// <summary>Parameters: whether the value is a secret.</summary>
    public bool Secret { get; set; }

    /// <summary>Parameters: the value when a deployment supplies none (null: it must supply one).</summary>
    public string? Default { get; set; }

    public SortedDictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public List<string> Args { get; } = [];

    public List<(string Name, string Target)> Volumes { get; } = [];

    public List<(string Source, string Target, bool ReadOnly)> BindMounts { get; } = [];

    public List<Resource> References { get; } = [];

    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Resources only the containers run and the publishers realise (the Aspire dashboard, for one).</summary>
    public bool ContainersOnly { get; set; }

    public string ImageReference => $"{Image}:{Tag}";

    public Endpoint? Http => Endpoints.FirstOrDefault(e => e.Scheme is "http" or "https");

    public override string ToString() => Name;
}
