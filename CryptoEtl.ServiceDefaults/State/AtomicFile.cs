namespace CryptoEtl.ServiceDefaults.State;

/// <summary>
/// Writes a whole file so that a crash leaves either the old or the new content, never a torn mix. A write that fails
/// (no space left) leaves the old file and removes its half-written copy, so that it gives back the space it took.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content));

    /// <param name="flushToDisk">Also survive a power cut, not only a crash of the process (fsync before the rename).</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, bool flushToDisk = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(temporary);
            throw;
        }
    }
}
