using System.CommandLine;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>What a Spark command runs with: its settings (environment, then host-style arguments, then its own options), checked.</summary>
internal sealed class CommandContext : IDisposable
{
    private CommandContext(IConfiguration configuration, SparkOptions spark, TransformOptions transform, SparkRemote? remote, ParseResult parse)
    {
        Configuration = configuration;
        Spark = spark;
        Transform = transform;
        Remote = remote;
        Output = parse.InvocationConfiguration.Output;
        Error = parse.InvocationConfiguration.Error;
        Logs = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(level => level >= LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }

    public IConfiguration Configuration { get; }

    public SparkOptions Spark { get; }

    public TransformOptions Transform { get; }

    public SparkRemote? Remote { get; }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public ILoggerFactory Logs { get; }

    /// <summary>Opens the job's session (see <see cref="JobSession"/>) and prints where it is connected.</summary>
    public async Task<SparkConnectSession> ConnectAsync(CancellationToken cancellation)
    {
        var remote = Remote ?? throw new InvalidOperationException("This command has no Spark Connect address.");
        var (session, version) = await JobSession.OpenAsync(remote, Logs.CreateLogger("CryptoEtl.SparkJob.SparkConnect"), cancellation);
        await Output.WriteLineAsync($"Spark {version} at {session.Remote} (session {session.SessionId}, user {session.Remote.UserId})");
        return session;
    }

    /// <summary>The context, or null with the problems to print (one line each).</summary>
    public static CommandContext? Create(ParseResult parse, Option<string?>? remote, Option<string?>? checkpoint, bool requireRemote, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        problems = found;
        var settings = parse.UnmatchedTokens.ToArray();
        found.AddRange(UnknownArguments(settings));
        if (found.Count > 0)
        {
            return null;
        }

        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (remote is not null && parse.GetValue(remote) is { } address)
        {
            overrides[$"{SparkOptions.Section}:{nameof(SparkOptions.Remote)}"] = address;
        }

        if (checkpoint is not null && parse.GetValue(checkpoint) is { } directory)
        {
            overrides[$"{SparkOptions.Section}:{nameof(SparkOptions.CheckpointDir)}"] = directory;
        }

        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(settings)
            .AddInMemoryCollection(overrides)
            .Build();

        var (spark, transform, settingProblems) = Bind(configuration, requireRemote);
        if (settingProblems.Count > 0)
        {
            problems = settingProblems;
            return null;
        }

        return new CommandContext(configuration, spark!, transform!, requireRemote ? SparkRemote.Parse(spark!.ResolvedRemote()) : null, parse);
    }

    /// <summary>The Spark and Transform settings, or what is wrong with them (one line each).</summary>
    public static (SparkOptions? Spark, TransformOptions? Transform, IReadOnlyList<string> Problems) Bind(IConfiguration configuration, bool requireRemote)
    {
        SparkOptions spark;
        TransformOptions transform;
        try
        {
            spark = configuration.GetSection(SparkOptions.Section).Get<SparkOptions>() ?? new SparkOptions();
            spark.ApplyConnectionString(configuration);
            transform = configuration.GetSection(TransformOptions.Section).Get<TransformOptions>() ?? new TransformOptions();
        }
        catch (InvalidOperationException e)
        {
            return (null, null, [e.Message]);
        }

        return (spark, transform, [.. spark.Problems(requireRemote), .. TransformPlans.Problems(transform)]);
    }

    /// <summary>What is wrong with the settings run --engine spark would start with (environment, then the arguments).</summary>
    public static IReadOnlyList<string> ServiceProblems(string[] arguments) =>
        Bind(new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(arguments).Build(), requireRemote: true).Problems;

    public void Dispose() => Logs.Dispose();

    /// <summary>Arguments other than settings (--Section:Key=value or --Section:Key value) are mistakes: say so instead of ignoring them.</summary>
    private static IEnumerable<string> UnknownArguments(string[] arguments)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            var argument = arguments[i];
            var key = argument.StartsWith("--", StringComparison.Ordinal) ? argument[2..].Split('=', 2)[0] : null;
            if (key is null || !key.Contains(':', StringComparison.Ordinal) && !key.Equals("StateDir", StringComparison.OrdinalIgnoreCase))
            {
                yield return $"unknown argument '{argument}' (settings are written --Section:Key=value, e.g. --ConnectionStrings:kafka=host:9092; see --help)";
                yield break;
            }

            if (!argument.Contains('=', StringComparison.Ordinal))
            {
                i++; // the value follows as the next argument
            }
        }
    }
}
