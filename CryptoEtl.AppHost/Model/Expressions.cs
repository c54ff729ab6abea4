using System.Text;
using System.Text.RegularExpressions;

namespace CryptoEtl.AppHost.Model;

/// <summary>
/// Resolves the placeholders of the manifest syntax ({kafka.connectionString}, {ingest.bindings.http.url},
/// {postgres.bindings.tcp.host}, {postgres-password.value}) against one realisation of the model.
/// </summary>
public static partial class Expressions
{
    /// <param name="lookup">Gets (resource, property path) such as ("kafka", "connectionString") or ("ingest", "bindings.http.url"); null when this realisation has no such value.</param>
    /// <returns>The resolved text, or null if any placeholder has no value here.</returns>
    public static string? Resolve(string template, Func<string, string, string?> lookup)
    {
        var result = new StringBuilder();
        var last = 0;
        foreach (Match placeholder in Placeholder().Matches(template))
        {
            result.Append(template, last, placeholder.Index - last);
            if (lookup(placeholder.Groups[1].Value, placeholder.Groups[2].Value) is not { } value)
            {
                return null;
            }

            result.Append(value);
            last = placeholder.Index + placeholder.Length;
        }

        return result.Append(template, last, template.Length - last).ToString();
    }

    /// <summary>The resources a template mentions.</summary>
    public static IEnumerable<string> Mentions(string template) => Placeholder().Matches(template).Select(m => m.Groups[1].Value).Distinct();

    /// <summary>Resolves a binding property (url, host, port, targetPort, scheme) of an endpoint found at a host and port.</summary>
    public static string? Binding(Endpoint endpoint, string property, string host, int port) => property switch
    {
        "url" => $"{endpoint.Scheme}://{host}:{port}",
        "host" => host,
        "port" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "targetPort" => endpoint.TargetPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "scheme" => endpoint.Scheme,
        _ => null,
    };

    [GeneratedRegex(@"\{([a-z0-9-]+)\.([a-zA-Z0-9.]+)\}")]
    private static partial Regex Placeholder();
}
