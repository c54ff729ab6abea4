namespace CryptoEtl.AppHost.Model;

/// <summary>
/// `dotnet run --project CryptoEtl.AppHost` runs in the project's directory, so default paths (the state directory,
/// docker/) are taken from the repository root: the nearest directory above the working directory holding CryptoEtl.sln.
/// </summary>
public static class RepositoryPaths
{
    public static string Resolve(string path) =>
        Path.IsPathRooted(path) ? path : Root(Environment.CurrentDirectory) is { } root ? Path.Combine(root, path) : Path.GetFullPath(path);

    /// <summary>The nearest directory at or above <paramref name="start"/> that holds CryptoEtl.sln, if any.</summary>
    public static string? Root(string start)
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
