using CryptoEtl.AppHost.Model;

namespace CryptoEtl.AppHost.Hosting;

/// <summary>
/// The infrastructure of the pipeline with its container images (pinned), ports, environment and connection strings,
/// and what the embedded run uses instead of each. Mirrors Aspire's hosting integrations (AddKafka, AddPostgres, ...).
/// </summary>
public static class PipelineResources
{
    public const string ConfluentVersion = "7.6.1";

    public static ResourceBuilder AddZookeeper(this DistributedApplicationBuilder builder, string name) =>
        builder.AddContainer(name, "confluentinc/cp-zookeeper", ConfluentVersion)
            .WithEndpoint("tcp", "tcp", 2181)
            .WithEnvironment("ZOOKEEPER_CLIENT_PORT", "2181")
            .WithEnvironment("ZOOKEEPER_TICK_TIME", "2000")
            .RunsEmbeddedAs(EmbeddedAs.Replaced, "not needed: the embedded broker keeps its own metadata");

    /// <summary>Two listeners: "internal" for containers on the app network, "tcp" (host port 9092) for processes on the host.</summary>
    public static ResourceBuilder AddKafka(this DistributedApplicationBuilder builder, string name, ResourceBuilder zookeeper)
    {
        var kafka = builder.AddContainer(name, "confluentinc/cp-kafka", ConfluentVersion)
            .WithEndpoint("internal", "tcp", 29092)
            .WithEndpoint("tcp", "tcp", 9092, hostPort: 9092)
            .WithEnvironment("KAFKA_BROKER_ID", "1")
            .WithEnvironment("KAFKA_ZOOKEEPER_CONNECT", $"{{{zookeeper.Resource.Name}.bindings.tcp.host}}:{{{zookeeper.Resource.Name}.bindings.tcp.port}}")
            .WithEnvironment("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:29092,PLAINTEXT_HOST://0.0.0.0:9092")
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", $"PLAINTEXT://{{{name}.bindings.internal.host}}:29092,PLAINTEXT_HOST://localhost:9092")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
            .WithEnvironment("KAFKA_NUM_PARTITIONS", "6")
            .WithReference(zookeeper)
            .WaitFor(zookeeper)
            .RunsEmbeddedAs(EmbeddedAs.Kafka, "librdkafka's built-in broker in the AppHost process (data in memory)");
        kafka.Resource.ConnectionString = $"{{{name}.bindings.internal.host}}:{{{name}.bindings.internal.port}}";
        kafka.Resource.Environment.Remove($"ConnectionStrings__{zookeeper.Resource.Name}");
        return kafka;
    }

    public static ResourceBuilder AddSchemaRegistry(this DistributedApplicationBuilder builder, string name, ResourceBuilder kafka)
    {
        var registry = builder.AddContainer(name, "confluentinc/cp-schema-registry", ConfluentVersion)
            .WithEndpoint("http", "http", 8081, hostPort: 8081)
            .WithEnvironment("SCHEMA_REGISTRY_HOST_NAME", name)
            .WithEnvironment("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .WithEnvironment("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", $"PLAINTEXT://{{{kafka.Resource.Name}.connectionString}}")
            .WaitFor(kafka)
            .RunsEmbeddedAs(EmbeddedAs.SchemaRegistry, "Confluent-compatible registry stand-in in the AppHost process (state in <state-dir>/schema-registry)");
        registry.Resource.References.Add(kafka.Resource);
        registry.Resource.ConnectionString = $"{{{name}.bindings.http.url}}";
        return registry;
    }

    public static ResourceBuilder AddControlCenter(this DistributedApplicationBuilder builder, string name, ResourceBuilder kafka, ResourceBuilder registry)
    {
        var center = builder.AddContainer(name, "confluentinc/cp-enterprise-control-center", ConfluentVersion)
            .WithEndpoint("http", "http", 9021, hostPort: 9021)
            .WithEnvironment("CONTROL_CENTER_BOOTSTRAP_SERVERS", $"{{{kafka.Resource.Name}.connectionString}}")
            .WithEnvironment("CONTROL_CENTER_SCHEMA_REGISTRY_URL", $"{{{registry.Resource.Name}.connectionString}}")
            .WithEnvironment("CONTROL_CENTER_REPLICATION_FACTOR", "1")
            .WithEnvironment("CONTROL_CENTER_INTERNAL_TOPICS_PARTITIONS", "1")
            .WithEnvironment("CONTROL_CENTER_MONITORING_INTERCEPTOR_TOPIC_PARTITIONS", "1")
            .WithEnvironment("CONFLUENT_METRICS_TOPIC_REPLICATION", "1")
            .WithEnvironment("PORT", "9021")
            .WaitFor(kafka)
            .WaitFor(registry)
            .RunsEmbeddedAs(EmbeddedAs.Dashboard, "the AppHost's own dashboard: resources, endpoints, pipeline counts");
        center.Resource.References.AddRange([kafka.Resource, registry.Resource]);
        return center;
    }

    /// <summary>PostgreSQL with a database for the services (cryptoetl) and one for Airflow's metadata (airflow).</summary>
    public static ResourceBuilder AddPostgres(this DistributedApplicationBuilder builder, string name, ResourceBuilder password)
    {
        var postgres = builder.AddContainer(name, "postgres", "16.4")
            .WithEndpoint("tcp", "tcp", 5432, hostPort: 5432)
            .WithEnvironment("POSTGRES_USER", "postgres")
            .WithEnvironment("POSTGRES_PASSWORD", $"{{{password.Resource.Name}.value}}")
            .WithEnvironment("POSTGRES_DB", "cryptoetl")
            .WithVolume("cryptoetl-postgres", "/var/lib/postgresql/data")
            .WithBindMount("./postgres/init", "/docker-entrypoint-initdb.d")
            .RunsEmbeddedAs(EmbeddedAs.Replaced, "SQLite files in <state-dir>, or a real PostgreSQL given as ConnectionStrings__postgres");
        postgres.Resource.ConnectionString =
            $"Host={{{name}.bindings.tcp.host}};Port={{{name}.bindings.tcp.port}};Username=postgres;Password={{{password.Resource.Name}.value}};Database=cryptoetl";
        return postgres;
    }

    public static ResourceBuilder AddMongoDB(this DistributedApplicationBuilder builder, string name)
    {
        var mongo = builder.AddContainer(name, "mongo", "7.0.14")
            .WithEndpoint("tcp", "tcp", 27017, hostPort: 27017)
            .WithVolume("cryptoetl-mongodb", "/data/db")
            .RunsEmbeddedAs(EmbeddedAs.Replaced, "LiteDB in <state-dir>/processor, or a real MongoDB given as ConnectionStrings__mongodb");
        mongo.Resource.ConnectionString = $"mongodb://{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}/cryptoetl";
        return mongo;
    }

    /// <summary>A Spark Connect server with the Kafka and Avro packages.</summary>
    public static ResourceBuilder AddSpark(this DistributedApplicationBuilder builder, string name, ResourceBuilder kafka)
    {
        const string version = "3.5.3";
        var spark = builder.AddContainer(name, "apache/spark", version)
            .WithEndpoint("grpc", "tcp", 15002, hostPort: 15002)
            .WithEndpoint("ui", "http", 4040, hostPort: 4040)
            .WithEnvironment("SPARK_NO_DAEMONIZE", "true")
            // The image's user (uid 185) has no writable home, so Ivy resolves the packages under /tmp.
            .WithArgs("/opt/spark/sbin/start-connect-server.sh", "--conf", "spark.jars.ivy=/tmp/.ivy2", "--packages",
                $"org.apache.spark:spark-connect_2.12:{version},org.apache.spark:spark-sql-kafka-0-10_2.12:{version},org.apache.spark:spark-avro_2.12:{version}")
            .WithVolume("cryptoetl-spark-checkpoints", "/checkpoints")
            .WaitFor(kafka)
            .RunsEmbeddedAs(EmbeddedAs.Replaced, "the SparkJob's local executor (same transformation, on this machine)");
        spark.Resource.References.Add(kafka.Resource);
        spark.Resource.ConnectionString = $"sc://{{{name}.bindings.grpc.host}}:{{{name}.bindings.grpc.port}}";
        return spark;
    }

    /// <summary>The CoinGecko API; the embedded run can use its simulator instead.</summary>
    public static ResourceBuilder AddCoinGecko(this DistributedApplicationBuilder builder, string name) =>
        builder.AddConnectionString(name, "https://api.coingecko.com/api/v3")
            .RunsEmbeddedAs(EmbeddedAs.CoinGecko, "the real API when /ping answers, otherwise the simulator in the AppHost process (--source)");

    /// <summary>Airflow running the crypto_etl DAG, its metadata in the postgres resource's airflow database.</summary>
    public static ResourceBuilder AddAirflow(this DistributedApplicationBuilder builder, string name, ResourceBuilder postgres, ResourceBuilder password)
    {
        var airflow = builder.AddContainer(name, "apache/airflow", "2.9.3")
            .WithEndpoint("http", "http", 8080, hostPort: 8080)
            .WithArgs("standalone")
            .WithEnvironment("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                $"postgresql+psycopg2://postgres:{{{password.Resource.Name}.value}}@{{{postgres.Resource.Name}.bindings.tcp.host}}:{{{postgres.Resource.Name}.bindings.tcp.port}}/airflow")
            .WithEnvironment("AIRFLOW__CORE__LOAD_EXAMPLES", "false")
            .WithEnvironment("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
            .WithEnvironment("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "false")
            .WithBindMount("./airflow/dags", "/opt/airflow/dags")
            .WaitFor(postgres)
            .RunsEmbeddedAs(EmbeddedAs.Scheduler, "the embedded scheduler: the DAG's schedule file, run history in PostgreSQL or SQLite");
        airflow.Resource.References.Add(postgres.Resource);
        return airflow;
    }

    /// <summary>The Aspire dashboard, receiving every service's OpenTelemetry over OTLP (containers run and compose).</summary>
    public static ResourceBuilder AddAspireDashboard(this DistributedApplicationBuilder builder, string name)
    {
        var dashboard = builder.AddContainer(name, "mcr.microsoft.com/dotnet/aspire-dashboard", "9.0")
            .WithEndpoint("http", "http", 18888, hostPort: 18888)
            .WithEndpoint("otlp", "http", 18889, hostPort: 18889)
            .WithEnvironment("DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", "true")
            .RunsEmbeddedAs(EmbeddedAs.Replaced, "not started: set OTEL_EXPORTER_OTLP_ENDPOINT to send telemetry to a dashboard you run");
        dashboard.Resource.ContainersOnly = true;
        return dashboard;
    }

    /// <summary>Sends the project's telemetry to the dashboard (OTLP over gRPC) under its resource name.</summary>
    public static ResourceBuilder WithOtlpExporter(this ResourceBuilder project, ResourceBuilder dashboard) => project
        .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", $"{{{dashboard.Resource.Name}.bindings.otlp.url}}")
        .WithEnvironment("OTEL_SERVICE_NAME", project.Resource.Name);
}
