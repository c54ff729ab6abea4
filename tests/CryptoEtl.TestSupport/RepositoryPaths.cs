namespace CryptoEtl.TestSupport;

/// <summary>The repository this test build came from: where docker/, the schedule file and the golden files are committed.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = Find(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException($"No CryptoEtl.sln above {AppContext.BaseDirectory}.");

    private static string? Find(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CryptoEtl.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
