namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Why a process stopped, in one line, where its orchestrator can read it, as Kubernetes reads a container's
/// terminationMessagePath: stderr, and the file named by <see cref="Variable"/>, which the AppHost gives every process
/// it starts and reads when one exits. (DCP hands a process's console to the AppHost only while the dashboard watches it.)
/// </summary>
public static class TerminationLog
{
    public const string Variable = "CRYPTOETL_TERMINATION_LOG";

    public static void Write(string line)
    {
        Console.Error.WriteLine(line);
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllText(path, line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The line is on stderr; a disk too full for one line cannot take it anywhere else either.
            }
        }
    }
}
