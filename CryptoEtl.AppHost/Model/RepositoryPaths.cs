namespace CryptoEtl.AppHost.Model;

/// <summary>
/// `dotnet run --project CryptoEtl.AppHost` runs in the project's directory, so default paths (the state directory,
/// docker/) are taken from the repository root: the nearest directory above the working directory holding CryptoEtl.sln.
/// </summary>
public static class RepositoryPaths
{
    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CryptoEtl.sln")))
            {
                return Path.Combine(directory.FullName, path);
            }
        }

        return Path.GetFullPath(path);
    }
}
