namespace Microsoft.Extensions.Logging;

/// <summary>
/// How an exception is written into log lines, dead letters and health reports: its type and message, never its
/// stack trace (which belongs to a debugger, not to a log line that reaches the dashboard and OTLP).
/// </summary>
public static class ExceptionText
{
    public static string Describe(this Exception exception) => $"{exception.GetType().Name}: {exception.Message}";
}
