using System.Globalization;
using System.Text.RegularExpressions;

namespace CryptoEtl.SparkJob.SparkConnect;

/// <summary>
/// A Spark Connect address as Spark's client connection-string spec writes it: <c>sc://host[:port][/;param=value;...]</c>.
/// Known parameters: <c>token</c> (bearer token; turns TLS on), <c>use_ssl</c>, <c>user_id</c>, <c>user_agent</c> (the
/// client type), <c>session_id</c> (a UUID), <c>grpc_max_message_size</c>; any other parameter is sent as a gRPC header on
/// every call. Parameter names are case-sensitive; values are URL-decoded.
/// </summary>
public sealed partial record SparkRemote
{
    public const int DefaultPort = 15002;
    public const int DefaultMaxMessageSize = 128 * 1024 * 1024;
    public const string DefaultClientType = "cryptoetl/1.0";
    public const string DefaultUserId = "cryptoetl";

    /// <summary>
    /// Spark Connect ties streaming queries to a session, so submit, status and stop (separate processes) must share one:
    /// without a session_id parameter every run of this job uses this one.
    /// </summary>
    public static readonly Guid DefaultSessionId = Guid.Parse("0c9d7e2a-5f41-4c1e-9a53-3e6b1f7d2c80");

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.Ordinal)
    {
        "authorization", "content-type", "te", "user-agent", "host", "connection", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding",
    };

    public required string Host { get; init; }

    public int Port { get; init; } = DefaultPort;

    public bool UseSsl { get; init; }

    public string? Token { get; init; }

    public string UserId { get; init; } = DefaultUserId;

    public string ClientType { get; init; } = DefaultClientType;

    public Guid SessionId { get; init; } = DefaultSessionId;

    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>Parameters the spec does not know: sent as gRPC headers on every call.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The gRPC endpoint: https when a token or use_ssl asks for TLS.</summary>
    public Uri Endpoint => new($"{(UseSsl ? "https" : "http")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");

    /// <summary>Parses an sc:// address; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static SparkRemote Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw Invalid(text, "it is empty; give --remote sc://host:15002 or set SPARK_REMOTE");
        }

        text = text.Trim();
        if (!text.StartsWith("sc://", StringComparison.Ordinal))
        {
            throw Invalid(text, "the scheme must be sc://");
        }

        var rest = text["sc://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var tail = slash < 0 ? "" : rest[(slash + 1)..];
        if (tail.Length > 0 && tail[0] != ';')
        {
            throw Invalid(text, $"the path must be empty (got '/{tail.Split(';')[0]}'); parameters follow as /;name=value");
        }

        var (host, port) = ParseAuthority(text, authority);
        var remote = new SparkRemote { Host = host, Port = port };
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parameter in tail.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(text, $"parameter '{parameter}' is not name=value");
            }

            var name = parameter[..equals];
            var value = Uri.UnescapeDataString(parameter[(equals + 1)..]);
            if (!seen.Add(name))
            {
                throw Invalid(text, $"parameter '{name}' is given twice");
            }

            remote = name switch
            {
                "token" => remote with { Token = value.Length > 0 ? value : throw Invalid(text, "token is empty"), UseSsl = true },
                "use_ssl" => remote with { UseSsl = ParseBool(text, name, value) || remote.Token is not null },
                "user_id" => remote with { UserId = value },
                "user_agent" => remote with { ClientType = value.Length is > 0 and <= 2048 ? value : throw Invalid(text, "user_agent must be 1-2048 characters") },
                "session_id" => remote with { SessionId = Guid.TryParseExact(value, "D", out var id) ? id : throw Invalid(text, $"session_id '{value}' is not a UUID (00112233-4455-6677-8899-aabbccddeeff)") },
                "grpc_max_message_size" => remote with { MaxMessageSize = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size >= 1024 ? size : throw Invalid(text, $"grpc_max_message_size '{value}' is not a byte count of at least 1024") },
                _ => remote with { Headers = AddHeader(headers, text, name, value) },
            };
        }

        // The spec: a token turns TLS on, whatever the order of the parameters.
        return remote.Token is not null ? remote with { UseSsl = true } : remote;
    }

    public static bool TryParse(string? text, out SparkRemote? remote, out string? error)
    {
        try
        {
            remote = Parse(text);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            remote = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The address without secrets: the token and header values are never printed or logged.</summary>
    public override string ToString()
    {
        var parameters = new List<string>();
        if (Token is not null)
        {
            parameters.Add("token=***");
        }
        else if (UseSsl)
        {
            parameters.Add("use_ssl=true");
        }

        if (UserId != DefaultUserId)
        {
            parameters.Add($"user_id={UserId}");
        }

        if (SessionId != DefaultSessionId)
        {
            parameters.Add($"session_id={SessionId}");
        }

        parameters.AddRange(Headers.Keys.Order(StringComparer.Ordinal).Select(k => $"{k}=***"));
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return $"sc://{host}:{Port}" + (parameters.Count > 0 ? "/;" + string.Join(';', parameters) : "");
    }

    private static (string Host, int Port) ParseAuthority(string text, string authority)
    {
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid(text, "the IPv6 host has no closing ]");
            }

            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                port = after[0] == ':' ? after[1..] : throw Invalid(text, $"unexpected '{after}' after the host");
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            port = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (host.Length == 0 || !HostPattern().IsMatch(host))
        {
            throw Invalid(text, host.Length == 0 ? "the host is missing" : $"'{host}' is not a host name or address");
        }

        if (port is null)
        {
            return (host, DefaultPort);
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and <= 65535
            ? (host, number)
            : throw Invalid(text, $"the port '{port}' is not a number between 1 and 65535");
    }

    private static bool ParseBool(string text, string name, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw Invalid(text, $"{name} must be true or false (got '{value}')"),
    };

    private static Dictionary<string, string> AddHeader(Dictionary<string, string> headers, string text, string name, string value)
    {
        if (!HeaderPattern().IsMatch(name) || ReservedHeaders.Contains(name) || name.StartsWith("grpc-", StringComparison.Ordinal))
        {
            throw Invalid(text, $"parameter '{name}' is not a known parameter, so it would be a gRPC header, but it is not a valid "
                + "custom header name (lower-case letters, digits, '-', '_', '.'; not reserved)");
        }

        if (name.EndsWith("-bin", StringComparison.Ordinal) || value.Any(c => c < 0x20 || c > 0x7e))
        {
            throw Invalid(text, $"the value of header parameter '{name}' must be printable ASCII");
        }

        headers[name] = value;
        return headers;
    }

    private static FormatException Invalid(string? text, string reason) =>
        new($"Invalid Spark Connect address '{Redact(text)}': {reason}. Expected sc://host[:port][/;name=value;...].");

    /// <summary>Hides parameter values in error messages: a mistyped address may still carry a real token.</summary>
    private static string Redact(string? text) => text is null ? "" : RedactPattern().Replace(text, "=***");

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9\-\.]*[A-Za-z0-9])?$|^[0-9A-Fa-f:\.]+$")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9\-_\.]*$")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"=[^;]*")]
    private static partial Regex RedactPattern();
}
