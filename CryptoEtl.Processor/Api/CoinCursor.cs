using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;

namespace CryptoEtl.Processor.Api;

/// <summary>
/// The <c>after</c> of a <c>/api/coins</c> page: the last coin's page key (<see cref="Storage.StoreDocuments.CoinPageKey"/>)
/// as base64url, opaque to clients, who take it from the <c>Link: &lt;…&gt;; rel="next"</c> header of the page before.
/// </summary>
public static partial class CoinCursor
{
    public static string Encode(string pageKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(pageKey));

    /// <summary>The page key in <paramref name="cursor"/>, or null when it is not one this API handed out.</summary>
    public static string? Decode(string cursor)
    {
        if (cursor.Length > 200 || !Base64Url.IsValid(cursor))
        {
            return null;
        }

        var key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        return PageKey().IsMatch(key) ? key : null;
    }

    [GeneratedRegex("^(0[0-9a-f]{16}|1)\\|[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex PageKey();
}
