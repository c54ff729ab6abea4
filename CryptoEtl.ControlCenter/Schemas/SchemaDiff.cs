namespace CryptoEtl.ControlCenter.Schemas;

/// <summary>One line of a diff: <c>' '</c> in both versions, <c>'-'</c> only in the older, <c>'+'</c> only in the newer.</summary>
public sealed record DiffLine(char Change, string Text);

/// <summary>A line diff of two pretty-printed schemas (a longest common subsequence: schemas are a few hundred lines at most).</summary>
public static class SchemaDiff
{
    /// <summary>Beyond this many lines a side, the diff is every old line removed and every new one added.</summary>
    public const int MaxLines = 5_000;

    public static IReadOnlyList<DiffLine> Lines(string older, string newer)
    {
        var a = older.Split('\n');
        var b = newer.Split('\n');
        if (a.Length > MaxLines || b.Length > MaxLines)
        {
            return [.. a.Select(l => new DiffLine('-', l)), .. b.Select(l => new DiffLine('+', l))];
        }

        // common[i, j]: the longest common subsequence of a[i..] and b[j..].
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var lines = new List<DiffLine>(a.Length + b.Length);
        var (x, y) = (0, 0);
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                lines.Add(new DiffLine(' ', a[x++]));
                y++;
            }
            else if (x < a.Length && (y == b.Length || common[x + 1, y] >= common[x, y + 1]))
            {
                lines.Add(new DiffLine('-', a[x++])); // removals first, as diff prints them
            }
            else
            {
                lines.Add(new DiffLine('+', b[y++]));
            }
        }

        return lines;
    }
}
