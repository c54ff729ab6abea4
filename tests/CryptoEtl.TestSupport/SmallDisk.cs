using System.Diagnostics;
using Xunit;

namespace CryptoEtl.TestSupport;

/// <summary>
/// A small filesystem of its own (a tmpfs mounted by the test, which needs root) that a test fills up to cause "No
/// space left on device" for whatever keeps its files there, then frees. Skips the test, saying why, where mounting is
/// refused.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private const string Ballast = ".ballast";

    private SmallDisk(string path) => Path = path;

    /// <summary>The mounted directory.</summary>
    public string Path { get; }

    public string BallastPath => System.IO.Path.Combine(Path, Ballast);

    /// <summary>Bytes still free on the filesystem.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public static SmallDisk Mount(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("small-disk-").FullName;
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (exitCode != 0)
        {
            Directory.Delete(path);
            Assert.Skip($"A full disk cannot be caused here: mounting a {megabytes} MB tmpfs was refused ({output.Trim()}); it needs root, as CI runs.");
        }

        return new SmallDisk(path);
    }

    /// <summary>Fills the disk with a ballast file until at most <paramref name="leaveBytes"/> are free.</summary>
    public void Fill(long leaveBytes = 0)
    {
        using var ballast = new FileStream(BallastPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var block = new byte[64 * 1024];
        try
        {
            while (FreeBytes > leaveBytes)
            {
                ballast.Write(block, 0, (int)Math.Min(block.Length, Math.Max(FreeBytes - leaveBytes, 1)));
                ballast.Flush();
            }
        }
        catch (IOException)
        {
            // Full already.
        }
    }

    /// <summary>Gives the ballast's space back.</summary>
    public void Free() => File.Delete(BallastPath);

    public void Dispose()
    {
        var (exitCode, _) = Run("umount", "-l", Path);
        if (exitCode == 0)
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
