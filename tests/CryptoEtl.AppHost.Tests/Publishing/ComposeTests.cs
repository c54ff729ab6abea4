using System.Text.RegularExpressions;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Publishing;

/// <summary>The publish-compose step: the committed docker/ files are exactly what the Aspire model generates, and compose accepts them.</summary>
public sealed partial class ComposeTests
{
    private static readonly string[] Generated = ["docker-compose.yml", ".env.example", "Dockerfile", Path.Combine("postgres", "init", "01-databases.sql")];

    private static string Committed(string file) => Path.Combine(RepositoryPaths.Root, "docker", file);

    [Fact]
    public async Task The_committed_compose_files_are_the_generated_ones()
    {
        var output = Directory.CreateTempSubdirectory("cryptoetl-compose").FullName;

        var result = await AppHostProcess.RunAsync(["--operation", "publish", "--step", "publish-compose", "--output-path", output]);

        Assert.True(result.ExitCode == 0, result.Output);
        foreach (var file in Generated)
        {
            Assert.True(await File.ReadAllTextAsync(Committed(file), Cancel) == await File.ReadAllTextAsync(Path.Combine(output, file), Cancel),
                $"docker/{file} differs from what the app model generates: run `dotnet run --project CryptoEtl.AppHost -- --operation publish --step publish-compose --output-path docker` and commit.");
        }
    }

    [Fact]
    public async Task Every_resource_is_a_service_with_pinned_images_and_no_secret_in_the_file()
    {
        var compose = await File.ReadAllTextAsync(Committed("docker-compose.yml"), Cancel);

        var services = ServiceLine().Matches(compose).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["zookeeper", "kafka", "schema-registry", "postgres", "mongodb", "spark", "ingest", "sparkjob", "processor", "airflow", "control-center", "aspire-dashboard"], services);
        Assert.All(ImageLine().Matches(compose).Select(m => m.Groups[1].Value), image => Assert.Matches(@":(\d+\.\d+(\.\d+)?|latest)$", image));
        Assert.Contains("image: confluentinc/cp-kafka:7.6.1", compose, StringComparison.Ordinal);
        Assert.Contains("image: apache/airflow:2.9.3", compose, StringComparison.Ordinal);
        Assert.Contains("\"./airflow/dags:/opt/airflow/dags:ro\"", compose, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__kafka: \"kafka:29092\"", compose, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__postgres: \"Host=postgres;Port=5432;Username=postgres;Password=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in docker/.env};Database=cryptoetl\"", compose, StringComparison.Ordinal);
        Assert.Contains("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: \"postgresql+psycopg2://postgres:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in docker/.env}@postgres:5432/airflow\"", compose, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT: \"http://aspire-dashboard:18889\"", compose, StringComparison.Ordinal);
        // Secrets only as references to docker/.env.
        Assert.All(compose.Split('\n').Where(l => l.Contains("password", StringComparison.OrdinalIgnoreCase)),
            line => Assert.Contains("${POSTGRES_PASSWORD:?", line, StringComparison.Ordinal));
        Assert.Contains("CoinGecko__ApiKey: \"${COINGECKO_API_KEY:-}\"", compose, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Docker_compose_validates_the_file_with_an_env_file_and_names_a_missing_secret_without_one()
    {
        Requires.Tool("docker-compose", "docker-compose");
        var env = Path.Combine(Directory.CreateTempSubdirectory("cryptoetl-env").FullName, ".env");
        await File.WriteAllTextAsync(env, (await File.ReadAllTextAsync(Committed(".env.example"), Cancel)).Replace("POSTGRES_PASSWORD=", "POSTGRES_PASSWORD=s3cret", StringComparison.Ordinal), Cancel);

        var valid = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", env, "config", "-q"], cancellation: Cancel);
        var resolved = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", env, "config"], cancellation: Cancel);
        var empty = Path.Combine(Path.GetDirectoryName(env)!, "empty.env");
        await File.WriteAllTextAsync(empty, "", Cancel);
        var withoutSecrets = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", empty, "config", "-q"], cancellation: Cancel);

        Assert.True(valid.ExitCode == 0, valid.Error);
        Assert.Contains("Password=s3cret", resolved.Output, StringComparison.Ordinal);
        Assert.Contains("CoinGecko__Plan: Public", resolved.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, withoutSecrets.ExitCode);
        Assert.Contains("set POSTGRES_PASSWORD in docker/.env", withoutSecrets.Error, StringComparison.Ordinal);
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^  ([a-z-]+):$", RegexOptions.Multiline)]
    private static partial Regex ServiceLine();

    [GeneratedRegex(@"^    image: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex ImageLine();
}
