using System.Globalization;
using System.Text.RegularExpressions;

namespace CryptoEtl.AppHost.Running;

/// <summary>Durations as people type them: 90s, 5m, 1h30m, or a TimeSpan (00:01:30).</summary>
public static partial class RunDuration
{
    /// <param name="option">The option's name, for the problem ("--run-for").</param>
    public static bool TryParse(string option, string? text, out TimeSpan? duration, out string? problem)
    {
        duration = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var match = Pattern().Match(text.Trim());
        if (match.Success && match.Groups.Cast<Group>().Skip(1).Any(g => g.Success))
        {
            double Part(int group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
            duration = TimeSpan.FromHours(Part(1)) + TimeSpan.FromMinutes(Part(2)) + TimeSpan.FromSeconds(Part(3));
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
        {
            duration = span;
        }

        if (duration is not { } value || value <= TimeSpan.Zero)
        {
            duration = null;
            problem = $"{option} '{text}' is not a positive duration; write e.g. 90s, 5m, 1h or 00:01:30.";
            return false;
        }

        return true;
    }

    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")]
    private static partial Regex Pattern();
}
