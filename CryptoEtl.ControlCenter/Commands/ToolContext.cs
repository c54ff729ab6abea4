using System.CommandLine;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Commands;

/// <summary>
/// What a console command needs to reach Kafka: settings from the environment and the unmatched
/// <c>--ConnectionStrings:kafka=host:port</c>-style tokens, warnings on stderr, and the client factory.
/// </summary>
public sealed class ToolContext : IDisposable
{
    public const int BadUsage = 2;

    private readonly ILoggerFactory _loggers;

    private ToolContext(IConfiguration configuration, ILoggerFactory loggers)
    {
        Configuration = configuration;
        _loggers = loggers;
        Kafka = new KafkaClientFactory(configuration, loggers);
    }

    public IConfiguration Configuration { get; }

    public KafkaClientFactory Kafka { get; }

    /// <summary>The context, or null (after saying why on stderr) when Kafka's connection string is missing.</summary>
    public static async Task<ToolContext?> CreateAsync(ParseResult parse)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. parse.UnmatchedTokens]).Build();
        var context = new ToolContext(configuration, LoggerFactory.Create(logging => logging.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning)));
        try
        {
            _ = context.Kafka.BootstrapServers;
            return context;
        }
        catch (InvalidOperationException e)
        {
            context.Dispose();
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
            return null;
        }
    }

    public void Dispose() => _loggers.Dispose();
}
