namespace CryptoEtl.ControlCenter;

/// <summary>A request's own text echoed in an error, cut short: an error says what was wrong, not the whole input back.</summary>
public static class Echo
{
    public static string Cut(string text, int max = 100) => text.Length <= max ? text : text[..max] + "…";
}
