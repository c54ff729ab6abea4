using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>One log record as the app wrote it.</summary>
internal sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);

/// <summary>Every log record of an app, after its filters.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    public ConcurrentList<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentList<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Add(new LogEntry(logLevel, category, formatter(state, exception), exception));
    }
}
