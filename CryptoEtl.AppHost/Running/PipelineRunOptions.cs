namespace CryptoEtl.AppHost.Running;

/// <summary>How the infrastructure is realised: as .NET processes on this machine, or as containers.</summary>
public enum RunMode
{
    /// <summary>The librdkafka broker, the registry stand-in, the simulator and the scheduler as processes; SQLite, LiteDB and the local executor in place of PostgreSQL, MongoDB and Spark. Needs only the .NET SDK.</summary>
    Embedded,

    /// <summary>The pinned Confluent, PostgreSQL, Airflow, Spark and MongoDB images. Needs a Docker engine.</summary>
    Containers,
}

/// <summary>
/// The AppHost's own settings, from its command line or any configuration source: <c>--mode</c>, <c>--source</c>,
/// <c>--state-dir</c>, <c>--run-for</c>, <c>--drain-timeout</c>, <c>--summary</c>, <c>--coins</c>,
/// <c>CRYPTOETL_ENVIRONMENT</c> (the schedule to follow), and the containers' scale (<see cref="ContainerScale"/>).
/// </summary>
public sealed record PipelineRunOptions(RunMode Mode, string Source, string StateDirectory, TimeSpan? RunFor, TimeSpan DrainTimeout, string? SummaryPath, string ScheduleEnvironment)
{
    /// <summary>
    /// How many coins by market cap each ingest run fetches (<c>--coins</c>; Ingest's <c>CoinGecko:TopN</c>), and how
    /// many the simulator serves when it stands in for CoinGecko; null: each one's default (250).
    /// </summary>
    public int? Coins { get; init; }

    /// <summary>Ingest's largest <c>CoinGecko:TopN</c>; CoinGecko lists about 17,000 coins.</summary>
    public const int MaxCoins = 100_000;

    /// <summary>How many Kafka brokers, Spark workers and MongoDB members the containers realisation runs.</summary>
    public ContainerScale Scale { get; init; } = ContainerScale.Default;

    /// <summary>How long a stop waits for the consumers to process what Kafka acknowledged (<c>--drain-timeout</c>).</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(90);

    public static readonly string[] Sources = ["auto", "coingecko", "simulator"];

    /// <summary>Reads and checks the settings; <paramref name="problem"/> names the setting that is wrong.</summary>
    public static bool TryRead(IDistributedApplicationBuilder builder, out PipelineRunOptions options, out string problem)
    {
        var configuration = builder.Configuration;
        options = null!;
        problem = "";
        var modeText = configuration["mode"] ?? "embedded";
        if (!Enum.TryParse<RunMode>(modeText, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            problem = $"--mode '{modeText}' is not a run mode: use embedded (the default) or containers.";
            return false;
        }

        var source = configuration["source"] ?? "auto";
        if (!Sources.Contains(source))
        {
            problem = $"--source '{source}' is not a data source: use auto (the default), coingecko or simulator.";
            return false;
        }

        if (!RunDuration.TryParse("--run-for", configuration["run-for"], out var runFor, out var durationProblem)
            || !RunDuration.TryParse("--drain-timeout", configuration["drain-timeout"], out var drainTimeout, out durationProblem))
        {
            problem = durationProblem!;
            return false;
        }

        if (!ContainerScale.TryRead(configuration, out var scale, out var scaleProblem))
        {
            problem = scaleProblem!;
            return false;
        }

        int? coins = null;
        if (configuration["coins"] is { } coinsText)
        {
            if (!int.TryParse(coinsText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count is < 1 or > MaxCoins)
            {
                problem = $"--coins '{coinsText}' is not a number of coins: use 1 to {MaxCoins} (CoinGecko lists about 17,000; 20000 takes the whole market).";
                return false;
            }

            coins = count;
        }

        // `dotnet run --project CryptoEtl.AppHost` runs in the project's directory: the default is next to it, at the repository root.
        var stateDirectory = Path.GetFullPath(configuration["state-dir"] ?? Path.Combine(builder.AppHostDirectory, "..", ".cryptoetl"));
        // Publishing describes the deployable (containers) realisation whatever the mode.
        options = new PipelineRunOptions(builder.ExecutionContext.IsPublishMode ? RunMode.Containers : mode, source, stateDirectory, runFor,
            drainTimeout ?? DefaultDrainTimeout,
            configuration["summary"] is { Length: > 0 } summary ? Path.GetFullPath(summary) : null,
            configuration["CRYPTOETL_ENVIRONMENT"] is { Length: > 0 } environment ? environment : "dev") { Scale = scale, Coins = coins };
        return true;
    }

    public bool Embedded => Mode == RunMode.Embedded;

    /// <summary>Where a resource of the embedded run keeps its files.</summary>
    public string StateOf(string resource) => Path.Combine(StateDirectory, resource);
}

public static class StateDirectoryExtensions
{
    /// <summary>Where a process of the run keeps its files: &lt;state-dir&gt;/&lt;resource&gt; (a deployment gives its own, e.g. a volume).</summary>
    public static IResourceBuilder<T> WithStateDirectory<T>(this IResourceBuilder<T> builder, PipelineRunOptions run) where T : IResourceWithEnvironment =>
        builder.ApplicationBuilder.ExecutionContext.IsRunMode
            ? builder.WithEnvironment("StateDir", run.StateOf(builder.Resource.Name))
            : builder;
}
