using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CryptoEtl.TestSupport;

/// <summary>Reads a paged list endpoint whole, following each page's <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288).</summary>
public static partial class LinkPages
{
    /// <param name="maxPages">Stop after this many pages (all of them by default).</param>
    public static async Task<List<T>> GetAllAsync<T>(this HttpClient http, string path, JsonSerializerOptions json, CancellationToken cancellation, int maxPages = int.MaxValue)
    {
        var items = new List<T>();
        var pages = 0;
        for (string? next = path; next is not null && pages++ < maxPages;)
        {
            using var response = await http.GetAsync(new Uri(next, UriKind.Relative), cancellation);
            response.EnsureSuccessStatusCode();
            items.AddRange(await response.Content.ReadFromJsonAsync<T[]>(json, cancellation) ?? []);
            next = Next(response);
        }

        return items;
    }

    /// <summary>The address of the next page, or null on the last.</summary>
    public static string? Next(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var links) && links.Select(l => NextLink().Match(l)).FirstOrDefault(m => m.Success) is { } match
            ? match.Groups[1].Value : null;

    [GeneratedRegex("<([^>]+)>\\s*;\\s*rel=\"next\"")]
    private static partial Regex NextLink();
}
