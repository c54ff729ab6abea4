using System.Collections.Concurrent;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>
/// Writes a resource's log lines to &lt;state-dir&gt;/logs/&lt;resource&gt;.log (follow it with tail -f). The in-process
/// stand-ins log here instead of to the console, which belongs to the live status.
/// </summary>
public sealed class FileLogSink : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public FileLogSink(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FilePath = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public string FilePath { get; }

    public void Write(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}

/// <summary>A logger provider over a <see cref="FileLogSink"/>.</summary>
public sealed class FileLoggerProvider(FileLogSink sink) : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, FileLogger> _loggers = new();

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new FileLogger(sink, c));

    public void Dispose()
    {
    }

    private sealed class FileLogger(FileLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink.Write($"{DateTimeOffset.UtcNow:O} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
        }
    }
}
