namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>The <c>kcat</c> command that prints one record as JSON (coordinates, timestamp, key, and the value's bytes as written).</summary>
public static class KcatCommand
{
    public static string Print(string bootstrapServers, string topic, int partition, long offset) =>
        $"kcat -C -b {Quote(bootstrapServers)} -t {Quote(topic)} -p {partition} -o {offset} -c 1 -e -J";

    /// <summary>Single-quoted for a POSIX shell (topic and server names need none, but nothing here relies on that).</summary>
    private static string Quote(string text) => text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or ',')
        ? text : $"'{text.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
