namespace CryptoEtl.ServiceDefaults.State;

/// <summary>
/// Writes a whole file so that a crash leaves either the old or the new content, never a torn mix. A write that fails
/// (no space left) leaves the old file and removes its half-written copy, so that it gives back the space it took.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes what <paramref name="write"/> puts in the stream as the whole file; returns its length.</summary>
    /// <param name="flushToDisk">Also survive a power cut, not only a crash of the process (fsync before the rename).</param>
    public static long Write(string path, Action<Stream> write, bool flushToDisk = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        try
        {
            long length;
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk);
                length = stream.Length;
            }

            File.Move(temporary, path, overwrite: true);
            return length;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
